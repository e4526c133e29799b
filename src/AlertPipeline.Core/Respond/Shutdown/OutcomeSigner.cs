using System.Globalization;

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
    private readonly HmacKeyRing _keys;

    /// <summary>Creates a signer over <paramref name="keys"/> (key id → base64 key of at least 32 bytes); it signs with <paramref name="signingKeyId"/> when given.</summary>
    public OutcomeSigner(IReadOnlyDictionary<string, string> keys, string? signingKeyId = null)
        => _keys = new HmacKeyRing("A result signing key", keys, signingKeyId);

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
        var keyId = _keys.SigningKeyId ?? throw new InvalidOperationException("This outcome signer has no signing key.");
        var withKey = outcome with { KeyId = keyId };
        return withKey with { Signature = _keys.Sign(CanonicalForm(withKey)) };
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

        reason = _keys.Check(outcome.KeyId, CanonicalForm(outcome), outcome.Signature) switch
        {
            SignatureCheck.UnknownKey => "unknown result key",
            SignatureCheck.Mismatch => "bad result signature",
            _ => "ok",
        };
        return reason == "ok";
    }
}
