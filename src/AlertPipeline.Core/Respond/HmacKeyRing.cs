using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace AlertPipeline.Core.Respond;

/// <summary>What checking a signature found.</summary>
public enum SignatureCheck
{
    /// <summary>Signed by a key of the ring.</summary>
    Valid,

    /// <summary>The key id names no key of the ring (never configured, or retired and removed).</summary>
    UnknownKey,

    /// <summary>The signature does not match the signed text.</summary>
    Mismatch,
}

/// <summary>
/// HMAC-SHA256 keys by key id: one to sign with (optional), every one to verify with, so a key can be rotated by
/// keeping the retired one for verification until what it signed has expired. Commands, action links and controller
/// results each sign with their own ring; this keeps key decoding and the constant-time comparison in one place.
/// Signatures are base64url of the MAC over the UTF-8 of a canonical text.
/// </summary>
public sealed class HmacKeyRing
{
    private readonly Dictionary<string, byte[]> _keys = new(StringComparer.Ordinal);

    /// <summary>
    /// Creates a ring of <paramref name="keys"/> (key id → base64 key of at least 32 bytes), signing with
    /// <paramref name="signingKeyId"/> when given. <paramref name="what"/> names the key in errors ("The command signing key").
    /// </summary>
    public HmacKeyRing(string what, IReadOnlyDictionary<string, string> keys, string? signingKeyId = null)
    {
        ArgumentNullException.ThrowIfNull(keys);
        foreach (var (id, base64) in keys)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(id);
            _keys[id] = Decode(what, base64);
        }

        if (signingKeyId is not null && !_keys.ContainsKey(signingKeyId))
        {
            throw new ArgumentException($"{what}: no key with id '{signingKeyId}'.", nameof(signingKeyId));
        }

        SigningKeyId = signingKeyId;
    }

    /// <summary>The id of the key <see cref="Sign"/> uses, or null for a ring that only verifies.</summary>
    public string? SigningKeyId { get; }

    /// <summary>How many keys the ring verifies with.</summary>
    public int Count => _keys.Count;

    /// <summary>The signature of <paramref name="canonical"/> with the signing key.</summary>
    public string Sign(string canonical)
        => Compute(_keys[SigningKeyId ?? throw new InvalidOperationException("This key ring has no signing key.")], canonical);

    /// <summary>Checks <paramref name="signature"/> of <paramref name="canonical"/> under key <paramref name="keyId"/>, in constant time.</summary>
    public SignatureCheck Check(string? keyId, string canonical, string? signature)
    {
        if (keyId is null || !_keys.TryGetValue(keyId, out var key))
        {
            return SignatureCheck.UnknownKey;
        }

        var expected = Encoding.ASCII.GetBytes(Compute(key, canonical));
        var actual = Encoding.UTF8.GetBytes(signature ?? string.Empty);
        return CryptographicOperations.FixedTimeEquals(expected, actual) ? SignatureCheck.Valid : SignatureCheck.Mismatch;
    }

    private static string Compute(byte[] key, string canonical)
        => Base64Url.EncodeToString(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(canonical)));

    private static byte[] Decode(string what, string base64Key)
    {
        byte[] key;
        try
        {
            key = Convert.FromBase64String(base64Key);
        }
        catch (FormatException)
        {
            throw new ArgumentException($"{what} must be base64.", nameof(base64Key));
        }

        return key.Length >= 32 ? key : throw new ArgumentException($"{what} must be at least 32 bytes.", nameof(base64Key));
    }
}
