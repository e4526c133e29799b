using System.Diagnostics.CodeAnalysis;

namespace AlertPipeline.Core.Respond.Approvals;

/// <summary>What a signed link lets its holder do to one alert.</summary>
public enum AlertAction
{
    /// <summary>Take the alert: status Acknowledged, escalation stops.</summary>
    Acknowledge,

    /// <summary>Issue the shutdown command a guardrail or the policy held for a human.</summary>
    Approve,

    /// <summary>Judge the alert a false positive: status Dismissed, the held command is voided.</summary>
    Dismiss,
}

/// <summary>The names of <see cref="AlertAction"/> as they appear in link routes and the audit log.</summary>
public static class AlertActions
{
    /// <summary>The route segment of <paramref name="action"/>: <c>acknowledge</c>, <c>approve</c>, <c>dismiss</c>.</summary>
    public static string ToText(this AlertAction action) => action switch
    {
        AlertAction.Acknowledge => "acknowledge",
        AlertAction.Approve => "approve",
        AlertAction.Dismiss => "dismiss",
        _ => throw new ArgumentOutOfRangeException(nameof(action)),
    };

    /// <summary>Parses a route segment (exact, lower-case only: the signed form has one spelling).</summary>
    public static bool TryParse(string? text, out AlertAction action)
    {
        switch (text)
        {
            case "acknowledge":
                action = AlertAction.Acknowledge;
                return true;
            case "approve":
                action = AlertAction.Approve;
                return true;
            case "dismiss":
                action = AlertAction.Dismiss;
                return true;
            default:
                action = default;
                return false;
        }
    }
}

/// <summary>
/// The signed content of one action link: which alert, which action, until when, a single-use nonce, who the link
/// was sent to, and the key id and HMAC-SHA256 signature over <see cref="ActionLinkSigner.CanonicalForm"/>. The URL
/// form is <c>{base}/api/actions/{alertId}/{action}?exp=…&amp;nonce=…&amp;to=…&amp;kid=…&amp;sig=…</c>.
/// </summary>
public sealed record ActionLink
{
    /// <summary>The route of the HTTP functions, below the app's <c>/api</c> prefix.</summary>
    public const string RoutePrefix = "actions";

    /// <summary>The alert.</summary>
    public required string AlertId { get; init; }

    /// <summary>The action.</summary>
    public required AlertAction Action { get; init; }

    /// <summary>After this instant the link is refused (410).</summary>
    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>Random per link (base64url, 128 bits); consumed when the link is used, so it works once.</summary>
    public string Nonce { get; init; } = string.Empty;

    /// <summary>Who the link was sent to (an email list or the Teams channel), recorded as who acted; may be empty.</summary>
    public string Recipient { get; init; } = string.Empty;

    /// <summary>The signing key's id (rotation).</summary>
    public string KeyId { get; init; } = string.Empty;

    /// <summary>Base64url HMAC-SHA256 over the canonical form.</summary>
    public string Signature { get; init; } = string.Empty;

    /// <summary>Who acted, as the alert and audit log record it: the link's recipient, marked as a signed link.</summary>
    public string Actor => string.IsNullOrEmpty(Recipient) ? "signed link" : $"{SafeText.Clean(Recipient, 128)} (signed link)";

    /// <summary>The link's URL under <paramref name="baseUrl"/> (the function app's public address).</summary>
    public Uri ToUri(Uri baseUrl)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        var root = baseUrl.AbsoluteUri.TrimEnd('/');
        var query = string.Join('&',
            "exp=" + ExpiresAt.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
            "nonce=" + Uri.EscapeDataString(Nonce),
            "to=" + Uri.EscapeDataString(Recipient),
            "kid=" + Uri.EscapeDataString(KeyId),
            "sig=" + Uri.EscapeDataString(Signature));
        return new Uri($"{root}/api/{RoutePrefix}/{Uri.EscapeDataString(AlertId)}/{Action.ToText()}?{query}");
    }

    /// <summary>
    /// Reads a link from its route values and query parameters (as the HTTP function receives them); null with the
    /// reason when a part is missing or malformed. Nothing is verified here.
    /// </summary>
    public static ActionLink? TryRead(string? alertId, string? action, Func<string, string?> query, [NotNullWhen(false)] out string? reason)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (string.IsNullOrEmpty(alertId) || alertId.Length > 128 || !AlertActions.TryParse(action, out var parsed))
        {
            reason = "not an action link";
            return null;
        }

        if (!long.TryParse(query("exp"), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var exp)
            || exp > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
        {
            reason = "the link has no valid expiry";
            return null;
        }

        var nonce = query("nonce");
        var keyId = query("kid");
        var signature = query("sig");
        if (string.IsNullOrEmpty(nonce) || string.IsNullOrEmpty(keyId) || string.IsNullOrEmpty(signature))
        {
            reason = "the link is incomplete";
            return null;
        }

        reason = null;
        return new ActionLink
        {
            AlertId = alertId,
            Action = parsed,
            ExpiresAt = DateTimeOffset.FromUnixTimeSeconds(exp),
            Nonce = nonce,
            Recipient = query("to") ?? string.Empty,
            KeyId = keyId,
            Signature = signature,
        };
    }
}
