import CryptoKit
import Foundation
import Security
import Akuersi

/// Seals the device secret with an AES-256-GCM key kept in the Keychain
/// (this device only, available after first unlock), so a backup or a copy
/// of the app's files cannot open it. Sealed form: 12-byte nonce ‖
/// ciphertext ‖ 16-byte tag; the label is the associated data. Calls block
/// briefly on the Keychain and are made by the core off the main thread.
public final class KeychainVault: SecretVault, @unchecked Sendable {
    private let keychainService: String
    private let account = "vault-key"
    private let lock = NSLock()

    public init(keychainService: String = "dk.akuersi.vault") {
        self.keychainService = keychainService
    }

    public func seal(label: String, plaintext: Data) throws -> Data {
        do {
            let box = try AES.GCM.seal(plaintext, using: try key(), authenticating: aad(label))
            guard let combined = box.combined else {
                throw AkuersiError.Vault(reason: "sealing failed")
            }
            return combined
        } catch let e as AkuersiError {
            throw e
        } catch {
            throw AkuersiError.Vault(reason: "sealing failed (\(type(of: error)))")
        }
    }

    public func open(label: String, sealed: Data) throws -> Data {
        do {
            let box = try AES.GCM.SealedBox(combined: sealed)
            return try AES.GCM.open(box, using: try key(), authenticating: aad(label))
        } catch let e as AkuersiError {
            throw e
        } catch {
            throw AkuersiError.Vault(reason: "sealed value does not open (wrong key or label, or tampered)")
        }
    }

    private func aad(_ label: String) -> Data {
        return Data("akuersi/v1/vault:\(label)".utf8)
    }

    private func key() throws -> SymmetricKey {
        lock.lock()
        defer { lock.unlock() }
        let query: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: keychainService,
            kSecAttrAccount as String: account,
            kSecReturnData as String: true,
            kSecMatchLimit as String: kSecMatchLimitOne,
        ]
        var item: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &item)
        if status == errSecSuccess, let data = item as? Data {
            return SymmetricKey(data: data)
        }
        guard status == errSecItemNotFound else {
            throw AkuersiError.Vault(reason: "Keychain error \(status)")
        }
        let key = SymmetricKey(size: .bits256)
        let add: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: keychainService,
            kSecAttrAccount as String: account,
            kSecAttrAccessible as String: kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly,
            kSecValueData as String: key.withUnsafeBytes { Data($0) },
        ]
        let added = SecItemAdd(add as CFDictionary, nil)
        guard added == errSecSuccess else {
            throw AkuersiError.Vault(reason: "Keychain error \(added)")
        }
        return key
    }
}
