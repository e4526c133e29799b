using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace AlertPipeline.Core.Respond.Shutdown;

/// <summary>
/// Signs and verifies what a sandbox controller reports (<see cref="CommandOutcome"/>) with HMAC-SHA256. Each
/// controller host has its own result key, named by a key id (e.g. the host name): the controller signs with
/// <c>Controller__ResultKeyId</c> / <c>Controller__ResultKey</c>, the pipeline verifies with every
/// <c>Controller__ResultKeys__&lt;keyId&gt;</c> it is given. The keys are separate from the command-signing key, so a
/// host's result key cannot sign commands, and one host's key can be revoked without touching the others. The
/// signature covers the command id and the nonce of the command answered, so a result is bound to one issued command.
/// </summary>
public sealed class OutcomeSigner
{
    private readonly Dictionary<string, byte[]> _keys = new(StringComparer.Ordinal);
    private readonly string? _signingKeyId;

    /// <summary>Creates a signer over <paramref name="keys"/> (key id → base64 key of at least 32 bytes); it signs with <paramref name="signingKeyId"/> when given.</summary>
    public OutcomeSigner(IReadOnlyDictionary<string, string> keys, string? signingKeyId = null)
    {
        ArgumentNullException.ThrowIfNull(keys);
        foreach (var (id, base64) in keys)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(id);
            _keys[id] = Decode(base64);
        }

        if (signingKeyId is not null && !_keys.ContainsKey(signingKeyId))
        {
            throw new ArgumentException($"No result key with id '{signingKeyId}'.", nameof(signingKeyId));
        }

        _signingKeyId = signingKeyId;
    }

    /// <summary>How many keys it verifies with.</summary>
    public int KeyCount => _keys.Count;

    /// <summary>The exact text that is signed: version, then every field in a fixed order, newline-separated.</summary>
    public static string CanonicalForm(CommandOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        return string.Join('\n',
            "alertpipe-result-v1",
            outcome.CommandId,
            outcome.Nonce,
            outcome.AlertId,
            outcome.SandboxId,
            outcome.Action,
            outcome.Status,
            outcome.Detail,
            outcome.At.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
            outcome.KeyId);
    }

    /// <summary>Returns <paramref name="outcome"/> with the signing key's id and the signature.</summary>
    public CommandOutcome Sign(CommandOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var keyId = _signingKeyId ?? throw new InvalidOperationException("This outcome signer has no signing key.");
        var withKey = outcome with { KeyId = keyId };
        return withKey with { Signature = Compute(_keys[keyId], withKey) };
    }

    /// <summary>True when <paramref name="outcome"/> is signed by one of the keys; else false with the reason.</summary>
    public bool Verify(CommandOutcome outcome, out string reason)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        if (string.IsNullOrEmpty(outcome.Signature))
        {
            reason = "unsigned result";
            return false;
        }

        if (!_keys.TryGetValue(outcome.KeyId, out var key))
        {
            reason = "unknown result key";
            return false;
        }

        var expected = Encoding.ASCII.GetBytes(Compute(key, outcome));
        var actual = Encoding.UTF8.GetBytes(outcome.Signature);
        if (!CryptographicOperations.FixedTimeEquals(expected, actual))
        {
            reason = "bad result signature";
            return false;
        }

        reason = "ok";
        return true;
    }

    private static byte[] Decode(string base64Key)
    {
        byte[] key;
        try
        {
            key = Convert.FromBase64String(base64Key);
        }
        catch (FormatException)
        {
            throw new ArgumentException("A result signing key must be base64.", nameof(base64Key));
        }

        return key.Length >= 32 ? key : throw new ArgumentException("A result signing key must be at least 32 bytes.", nameof(base64Key));
    }

    private static string Compute(byte[] key, CommandOutcome outcome)
        => Base64Url.EncodeToString(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(CanonicalForm(outcome))));
}
