using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
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
    private readonly HmacKeyRing _keys;
    private readonly TimeProvider _time;

    /// <summary>Creates a signer with a base64 key of at least 32 bytes, and optionally retired keys (id → base64) it still verifies.</summary>
    public CommandSigner(string base64Key, string keyId, TimeProvider? time = null, IReadOnlyDictionary<string, string>? retiredKeys = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(keyId);
        ArgumentNullException.ThrowIfNull(base64Key);
        var keys = new Dictionary<string, string>(retiredKeys ?? new Dictionary<string, string>(), StringComparer.Ordinal) { [keyId] = base64Key };
        _keys = new HmacKeyRing("The command signing key", keys, keyId);
        KeyId = keyId;
        _time = time ?? TimeProvider.System;
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
        return withKey with { Signature = _keys.Sign(CanonicalForm(withKey)) };
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

        switch (_keys.Check(command.KeyId, CanonicalForm(command), command.Signature))
        {
            case SignatureCheck.UnknownKey:
                reason = "unknown signing key";
                return null;
            case SignatureCheck.Mismatch:
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
}
