// Android library module "akuersi": the generated Kotlin bindings, the shell
// code (src/shared, also tested on the host JVM; src/main, Android only) and
// the per-ABI libakuersi_ffi.so that build-android-libs.sh puts in
// src/main/jniLibs. Include it from an app's settings.gradle.kts:
//
//   include(":akuersi")
//   project(":akuersi").projectDir = file("<path to akuersi>/android-shim")
//
// The app's build declares the Android and Kotlin Gradle plugins; for a build
// of this module alone, settings.gradle.kts here declares them.
plugins {
    id("com.android.library")
    id("org.jetbrains.kotlin.android")
}

android {
    namespace = "dk.akuersi.android"
    compileSdk = 35

    defaultConfig {
        minSdk = 26
        consumerProguardFiles("consumer-rules.pro")
    }

    sourceSets["main"].apply {
        java.srcDirs(
            "src/main/kotlin",
            "src/shared/kotlin",
            // scripts/gen-bindings --release writes the bindings here.
            "../bindings/generated/kotlin",
        )
        jniLibs.srcDirs("src/main/jniLibs")
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
}

kotlin {
    jvmToolchain(17)
}

dependencies {
    // The generated bindings call the Rust library through JNA; the @aar
    // form carries JNA's own native parts for every Android ABI.
    implementation("net.java.dev.jna:jna:5.17.0@aar")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.10.2")
    implementation("androidx.lifecycle:lifecycle-process:2.8.7")
    implementation("androidx.annotation:annotation:1.9.1")
}
