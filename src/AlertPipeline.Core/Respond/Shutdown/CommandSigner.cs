using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace AlertPipeline.Core.Respond.Shutdown;

/// <summary>
/// Signs and verifies shutdown commands with HMAC-SHA256. The key comes from configuration or Key Vault
/// (setting <c>Shutdown__SigningKey</c>, base64, at least 32 bytes); it is never in code.
/// </summary>
public sealed class CommandSigner
{
    private readonly byte[] _key;
    private readonly TimeProvider _time;

    /// <summary>Creates a signer with a base64 key of at least 32 bytes.</summary>
    public CommandSigner(string base64Key, string keyId, TimeProvider? time = null)
    {
        byte[] key;
        try
        {
            key = Convert.FromBase64String(base64Key);
        }
        catch (FormatException)
        {
            throw new ArgumentException("The command signing key must be base64.", nameof(base64Key));
        }

        if (key.Length < 32)
        {
            throw new ArgumentException("The command signing key must be at least 32 bytes.", nameof(base64Key));
        }

        _key = key;
        KeyId = keyId;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The id of the key in use.</summary>
    public string KeyId { get; }

    /// <summary>The exact text that is signed: version, then every field in a fixed order, newline-separated.</summary>
    public static string CanonicalForm(ShutdownCommand command) => string.Join('\n',
        "alertpipe-command-v1",
        command.CommandId,
        command.Action,
        command.SandboxId,
        command.AlertId,
        command.RuleId,
        command.Reason,
        command.IssuedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
        command.ExpiresAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
        command.KeyId);

    /// <summary>Returns <paramref name="command"/> with this signer's key id and signature.</summary>
    public ShutdownCommand Sign(ShutdownCommand command)
    {
        var withKey = command with { KeyId = KeyId };
        return withKey with { Signature = Compute(withKey) };
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

        if (command.KeyId != KeyId)
        {
            reason = "unknown signing key";
            return null;
        }

        var expected = Encoding.ASCII.GetBytes(Compute(command));
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

        reason = "ok";
        return command;
    }

    private string Compute(ShutdownCommand command)
    {
        var mac = HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(CanonicalForm(command)));
        return Base64Url.EncodeToString(mac);
    }
}
