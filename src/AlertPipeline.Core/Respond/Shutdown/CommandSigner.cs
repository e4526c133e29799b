using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace AlertPipeline.Core.Respond.Shutdown;

/// <summary>
/// Signs and verifies shutdown commands with HMAC-SHA256. The key comes from configuration or Key Vault
/// (setting <c>Shutdown__SigningKey</c>, base64, at least 32 bytes); it is never in code. Rotation: commands are
/// signed with the current key and carry its id; verification also accepts the retired keys still configured
/// (<c>Shutdown__Keys__&lt;keyId&gt;</c>) until every command signed with them has expired.
/// </summary>
public sealed class CommandSigner
{
    private readonly byte[] _key;
    private readonly Dictionary<string, byte[]> _verifyKeys = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    /// <summary>Creates a signer with a base64 key of at least 32 bytes, and optionally retired keys (id → base64) it still verifies.</summary>
    public CommandSigner(string base64Key, string keyId, TimeProvider? time = null, IReadOnlyDictionary<string, string>? retiredKeys = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(keyId);
        _key = Decode(base64Key, nameof(base64Key));
        KeyId = keyId;
        _time = time ?? TimeProvider.System;
        foreach (var (id, retired) in retiredKeys ?? new Dictionary<string, string>())
        {
            _verifyKeys[id] = Decode(retired, nameof(retiredKeys));
        }

        _verifyKeys[keyId] = _key;
    }

    private static byte[] Decode(string base64Key, string parameter)
    {
        byte[] key;
        try
        {
            key = Convert.FromBase64String(base64Key);
        }
        catch (FormatException)
        {
            throw new ArgumentException("The command signing key must be base64.", parameter);
        }

        return key.Length >= 32 ? key : throw new ArgumentException("The command signing key must be at least 32 bytes.", parameter);
    }

    /// <summary>The id of the key in use.</summary>
    public string KeyId { get; }

    /// <summary>The exact text that is signed: version, then every field in a fixed order, newline-separated.</summary>
    public static string CanonicalForm(ShutdownCommand command) => string.Join('\n',
        "alertpipe-command-v2",
        command.CommandId,
        command.Action,
        command.SandboxId,
        command.AlertId,
        command.RuleId,
        command.Reason,
        command.IssuedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
        command.ExpiresAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
        command.Nonce,
        command.KeyId);

    /// <summary>Returns <paramref name="command"/> with a fresh nonce, this signer's key id and the signature.</summary>
    public ShutdownCommand Sign(ShutdownCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var withKey = command with { KeyId = KeyId, Nonce = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16)) };
        return withKey with { Signature = Compute(_key, withKey) };
    }

    /// <summary>Serializes a signed command as its queue message.</summary>
    public static string ToJson(ShutdownCommand command) => JsonSerializer.Serialize(command, AlertJson.Options);

    /// <summary>
    /// Verifies a queue message: well-formed, signed by this key, not expired. Returns the command, or null
    /// with the reason. This is what a sandbox host agent runs before acting.
    /// </summary>
    public ShutdownCommand? Verify(string json, out string reason)
    {
        ShutdownCommand? command;
        try
        {
            command = JsonSerializer.Deserialize<ShutdownCommand>(json, AlertJson.Options);
        }
        catch (JsonException)
        {
            command = null;
        }

        if (command is null || string.IsNullOrEmpty(command.Signature))
        {
            reason = "malformed command";
            return null;
        }

        if (!_verifyKeys.TryGetValue(command.KeyId, out var key))
        {
            reason = "unknown signing key";
            return null;
        }

        var expected = Encoding.ASCII.GetBytes(Compute(key, command));
        var actual = Encoding.ASCII.GetBytes(command.Signature);
        if (!CryptographicOperations.FixedTimeEquals(expected, actual))
        {
            reason = "bad signature";
            return null;
        }

        if (_time.GetUtcNow() >= command.ExpiresAt)
        {
            reason = "expired";
            return null;
        }

        // Checked after the signature: only a signed command's fields are worth reporting.
        if (!ShutdownActions.All.Contains(command.Action) || string.IsNullOrEmpty(command.Nonce))
        {
            reason = "unsupported action or missing nonce";
            return null;
        }

        reason = "ok";
        return command;
    }

    private static string Compute(byte[] key, ShutdownCommand command)
    {
        var mac = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(CanonicalForm(command)));
        return Base64Url.EncodeToString(mac);
    }
}
