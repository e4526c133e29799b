using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;

namespace AlertPipeline.Core.Respond.Approvals;

/// <summary>Why a link was refused, or that it is good.</summary>
public enum LinkVerdict
{
    /// <summary>Signed by a configured key and not expired.</summary>
    Valid,

    /// <summary>The signature does not match (altered, made for another alert or action, or made up): 403.</summary>
    Forged,

    /// <summary>Signed by a key id that is not configured (never was, or retired and removed): 403.</summary>
    UnknownKey,

    /// <summary>Past its expiry: 410.</summary>
    Expired,
}

/// <summary>
/// Signs and verifies action links with HMAC-SHA256. The key is its own, not the command-signing key: every sandbox
/// host's controller holds the command key to verify commands, so with that key a compromised host could mint itself
/// approval links. Setting <c>Actions__SigningKey</c> (base64, at least 32 bytes, Key Vault) with id
/// <c>Actions__KeyId</c>; retired keys still accepted as <c>Actions__Keys__&lt;keyId&gt;</c> until their links expired.
/// </summary>
public sealed class ActionLinkSigner
{
    private readonly HmacKeyRing _keys;
    private readonly TimeProvider _time;

    /// <summary>Creates a signer with a base64 key of at least 32 bytes, and optionally retired keys (id → base64) it still verifies.</summary>
    public ActionLinkSigner(string base64Key, string keyId, TimeProvider? time = null, IReadOnlyDictionary<string, string>? retiredKeys = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(keyId);
        ArgumentNullException.ThrowIfNull(base64Key);
        var keys = new Dictionary<string, string>(retiredKeys ?? new Dictionary<string, string>(), StringComparer.Ordinal) { [keyId] = base64Key };
        _keys = new HmacKeyRing("The action link signing key", keys, keyId);
        KeyId = keyId;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The id of the key links are signed with.</summary>
    public string KeyId { get; }

    /// <summary>The exact text that is signed: a version, then every field in a fixed order, newline-separated.</summary>
    public static string CanonicalForm(ActionLink link)
    {
        ArgumentNullException.ThrowIfNull(link);
        return string.Join('\n',
            "alertpipe-action-v1",
            link.AlertId,
            link.Action.ToText(),
            link.ExpiresAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
            link.Nonce,
            link.Recipient,
            link.KeyId);
    }

    /// <summary>A signed link for <paramref name="action"/> on <paramref name="alertId"/>, valid for <paramref name="lifetime"/>.</summary>
    public ActionLink Sign(string alertId, AlertAction action, TimeSpan lifetime, string? recipient)
    {
        ArgumentException.ThrowIfNullOrEmpty(alertId);
        var link = new ActionLink
        {
            AlertId = alertId,
            Action = action,
            ExpiresAt = _time.GetUtcNow() + lifetime,
            Nonce = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16)),

            // Cleaned: it is shown on the confirmation page and recorded as who acted; no newline can enter the signed form.
            Recipient = SafeText.Clean(recipient, 128),
            KeyId = KeyId,
        };
        return link with { Signature = _keys.Sign(CanonicalForm(link)) };
    }

    /// <summary>Checks <paramref name="link"/>'s key, signature (in constant time) and expiry, in that order.</summary>
    public LinkVerdict Verify(ActionLink link)
    {
        ArgumentNullException.ThrowIfNull(link);
        switch (_keys.Check(link.KeyId, CanonicalForm(link), link.Signature))
        {
            case SignatureCheck.UnknownKey:
                return LinkVerdict.UnknownKey;
            case SignatureCheck.Mismatch:
                return LinkVerdict.Forged;
        }

        // Checked after the signature, so an expiry an attacker moved reads as forged, not as merely expired.
        return _time.GetUtcNow() >= link.ExpiresAt ? LinkVerdict.Expired : LinkVerdict.Valid;
    }
}
