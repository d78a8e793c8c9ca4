package dk.akuersi.bench;

import java.util.List;
import java.util.concurrent.TimeUnit;

import dk.akuersi.core.RequestView;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cost of crossing the Kotlin/Rust boundary through the generated uniffi
 * bindings (JNA direct mapping), as an Android shell pays it (the FFI budgets in docs/BENCHMARKS.md: a
 * trivial call within 5 us, listing pending requests within 50 us).
 *
 * Java rather than Kotlin: JMH's annotation processor runs on javac only; the
 * Kotlin side (bindings, PendingFixture) is compiled first and called from here.
 *
 * Sized for a run well under two minutes on a small shared machine: one fork,
 * 5 x 1 s warmup (enough for C2 to compile the JNA call path) and 8 x 1 s
 * measured, for each of the three runs (trivialCall; listPending with 1 and 3
 * requests). scripts/bench-kotlin runs it and writes target/bench/kotlin-ffi.json.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 8, time = 1)
public class FfiBench {

    /** An enrolled profile with requests waiting; only listPending uses it. */
    @State(Scope.Benchmark)
    public static class Listing {
        /**
         * Requests waiting for the profile. 1 is what the service allows today
         * (one per user ID); 3 is the "few" of the listing budget, widened by the fixture's
         * transport (see PendingFixture).
         */
        @Param({"1", "3"})
        public int requests;

        PendingFixture fixture;

        @Setup(Level.Trial)
        public void setUp() {
            fixture = new PendingFixture(requests);
            // Timing the list of an empty cache would be meaningless: fail the run.
            int listed = fixture.listed();
            if (listed != requests) {
                throw new IllegalStateException("pending lists " + listed + " requests, expected " + requests);
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            // The figures only count if the calls listed the same requests to the end.
            int listed = fixture.listed();
            fixture.close();
            if (listed != requests) {
                throw new IllegalStateException("after the run pending lists " + listed + " requests, expected " + requests);
            }
        }
    }

    /** defaultKdfIterations(): one FFI crossing, nothing to convert but a u32. Returned so JMH consumes it. */
    @Benchmark
    public int trivialCall() {
        return PendingFixture.trivial();
    }

    /**
     * Akuersi.pending(profileId): the object's handle cloned (itself an FFI
     * call), the profile id lowered to a RustBuffer, two SQLite reads and the
     * request cache in Rust, and the RequestView records lifted back into
     * Kotlin. No transport: pending never asks the service.
     */
    @Benchmark
    public List<RequestView> listPending(Listing listing) {
        return listing.fixture.pending();
    }
}
