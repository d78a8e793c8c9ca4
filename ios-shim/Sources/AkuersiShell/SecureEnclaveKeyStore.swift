import CryptoKit
import Foundation
import LocalAuthentication
import Security
import Akuersi

/// The device key in the Secure Enclave: a P-256 key created inside the
/// enclave that never leaves it. What the app keeps (in the Keychain, this
/// device only) is the enclave's encrypted handle to the key, which is useless
/// on any other device.
///
/// With `requireUserPresence` the key only signs after Face ID / Touch ID (or
/// the device passcode); pass an `LAContext` that has already evaluated the
/// policy to avoid a second prompt.
///
/// Every method blocks (the enclave and the Keychain are slow; a biometric
/// prompt waits for the owner) and is called by the core off the main thread.
public final class SecureEnclaveKeyStore: KeyStore, @unchecked Sendable {
    private let keychainService: String
    private let requireUserPresence: Bool
    private let context: LAContext?

    /// - Parameters:
    ///   - keychainService: the Keychain service under which key handles are kept.
    ///   - requireUserPresence: bind the key to biometrics or the passcode.
    ///   - context: an authenticated `LAContext` to reuse, if any.
    public init(
        keychainService: String = "dk.akuersi.device-keys",
        requireUserPresence: Bool = false,
        context: LAContext? = nil
    ) {
        self.keychainService = keychainService
        self.requireUserPresence = requireUserPresence
        self.context = context
    }

    public func generate(alias: String) throws -> Data {
        guard SecureEnclave.isAvailable else {
            throw AkuersiError.KeyStore(reason: "this device has no Secure Enclave")
        }
        if try loadHandle(alias: alias) != nil {
            throw AkuersiError.KeyStore(reason: "a key named \(alias) already exists")
        }
        var flags: SecAccessControlCreateFlags = [.privateKeyUsage]
        if requireUserPresence {
            flags.insert(.userPresence)
        }
        var error: Unmanaged<CFError>?
        guard let access = SecAccessControlCreateWithFlags(
            nil, kSecAttrAccessibleWhenUnlockedThisDeviceOnly, flags, &error
        ) else {
            throw AkuersiError.KeyStore(reason: "cannot create the key's access control")
        }
        do {
            let key = try SecureEnclave.P256.Signing.PrivateKey(
                compactRepresentable: false,
                accessControl: access,
                authenticationContext: context
            )
            try storeHandle(alias: alias, handle: key.dataRepresentation)
            // 0x04 ‖ x ‖ y, 65 bytes.
            return key.publicKey.x963Representation
        } catch let e as AkuersiError {
            throw e
        } catch {
            throw AkuersiError.KeyStore(reason: "Secure Enclave: \(type(of: error))")
        }
    }

    public func publicKey(alias: String) throws -> Data {
        return try privateKey(alias: alias).publicKey.x963Representation
    }

    public func sign(alias: String, message: Data) throws -> Data {
        let key = try privateKey(alias: alias)
        do {
            // CryptoKit hashes with SHA-256 and returns r ‖ s (64 bytes).
            return try key.signature(for: message).rawRepresentation
        } catch {
            throw AkuersiError.KeyStore(reason: "the Secure Enclave did not sign (\(type(of: error)))")
        }
    }

    public func delete(alias: String) throws {
        let status = SecItemDelete(query(alias: alias) as CFDictionary)
        guard status == errSecSuccess || status == errSecItemNotFound else {
            throw AkuersiError.KeyStore(reason: "Keychain error \(status)")
        }
    }

    private func privateKey(alias: String) throws -> SecureEnclave.P256.Signing.PrivateKey {
        guard let handle = try loadHandle(alias: alias) else {
            throw AkuersiError.KeyStore(reason: "no key named \(alias)")
        }
        do {
            return try SecureEnclave.P256.Signing.PrivateKey(
                dataRepresentation: handle,
                authenticationContext: context
            )
        } catch {
            throw AkuersiError.KeyStore(reason: "the Secure Enclave key is unusable (\(type(of: error)))")
        }
    }

    private func query(alias: String) -> [String: Any] {
        return [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: keychainService,
            kSecAttrAccount as String: alias,
        ]
    }

    private func loadHandle(alias: String) throws -> Data? {
        var q = query(alias: alias)
        q[kSecReturnData as String] = true
        q[kSecMatchLimit as String] = kSecMatchLimitOne
        var item: CFTypeRef?
        let status = SecItemCopyMatching(q as CFDictionary, &item)
        switch status {
        case errSecSuccess:
            return item as? Data
        case errSecItemNotFound:
            return nil
        default:
            throw AkuersiError.KeyStore(reason: "Keychain error \(status)")
        }
    }

    private func storeHandle(alias: String, handle: Data) throws {
        var q = query(alias: alias)
        q[kSecValueData as String] = handle
        q[kSecAttrAccessible as String] = kSecAttrAccessibleWhenUnlockedThisDeviceOnly
        let status = SecItemAdd(q as CFDictionary, nil)
        guard status == errSecSuccess else {
            throw AkuersiError.KeyStore(reason: "Keychain error \(status)")
        }
    }
}
