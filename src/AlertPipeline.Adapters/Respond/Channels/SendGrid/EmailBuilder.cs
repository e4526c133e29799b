using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Text;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Approvals;
using AlertPipeline.Core.Respond.Incidents;

namespace AlertPipeline.Adapters.Respond.Channels.SendGrid;

/// <summary>The rendered parts of one alert email.</summary>
/// <param name="Subject">One line, no control characters, at most about <see cref="EmailBuilder.MaxSubjectLength"/> characters.</param>
/// <param name="Html">The HTML part; every alert value is HTML-encoded.</param>
/// <param name="Text">The plain-text part.</param>
public sealed record EmailContent(string Subject, string Html, string Text);

/// <summary>
/// Renders an <see cref="Alert"/> as an email. Pure: no I/O, no clock, so the output is compared with golden files.
/// Title, sandbox id, description, tags, references and evidence come from telemetry or rule packs and are treated as
/// hostile: each goes through <see cref="SafeText"/> (control characters replaced, length cut, HTML-encoded), and only
/// http(s) references become links.
/// </summary>
public static class EmailBuilder
{
    /// <summary>Most characters of the subject (a cut adds one ellipsis).</summary>
    public const int MaxSubjectLength = 200;

    /// <summary>Most evidence rows shown; the rest are counted.</summary>
    public const int MaxEvidenceRows = 50;

    /// <summary>Most characters of one evidence value.</summary>
    public const int MaxValueLength = SafeText.DefaultMaxLength;

    /// <summary>Most characters of an evidence field name.</summary>
    public const int MaxFieldLength = 128;

    /// <summary>Most characters of the description.</summary>
    public const int MaxDescriptionLength = 2000;

    /// <summary>Most tags and references shown.</summary>
    public const int MaxListItems = 20;

    /// <summary>Renders <paramref name="alert"/>.</summary>
    /// <param name="alert">The alert.</param>
    /// <param name="runbookBaseUrl">Base URL of the runbooks, or null for no runbook link.</param>
    /// <param name="links">The signed action links (Acknowledge, Approve shutdown, Dismiss); null renders the "links are off" notice.</param>
    /// <param name="incident">The alert's incident, or null: shown as a banner (which incident, its level, techniques, why this notification went).</param>
    public static EmailContent Build(Alert alert, string? runbookBaseUrl = null, ActionLinkSet? links = null, Incident? incident = null)
    {
        ArgumentNullException.ThrowIfNull(alert);
        var subject = Subject(alert, incident);
        var runbook = AlertLinks.Runbook(runbookBaseUrl, alert.RuleId);
        links ??= ActionLinkSet.NotConfigured;
        return new EmailContent(subject, Html(alert, subject, runbook, links, incident), Text(alert, subject, runbook, links, incident));
    }

    /// <summary>
    /// The subject line: <c>[LEVEL] title — sandbox id</c>, one line, bounded. LEVEL is the level the alert's incident
    /// notification announced when that is higher than the alert's (a combination made the incident critical).
    /// </summary>
    public static string Subject(Alert alert, Incident? incident = null)
    {
        ArgumentNullException.ThrowIfNull(alert);

        // Each part is bounded first so a long title cannot push the sandbox id out; the whole is cleaned again so
        // no CR/LF can reach a mail header.
        var line = $"[{LevelName(AlertLinks.HeadlineLevel(alert, incident))}] {SafeText.Clean(alert.Title, 120)} — sandbox {SafeText.Clean(alert.SandboxId, 64)}";
        return SafeText.Clean(line, MaxSubjectLength);
    }

    private static string Html(Alert alert, string subject, Uri? runbook, ActionLinkSet links, Incident? incident)
    {
        var h = new StringBuilder(4096);
        h.Append("<!DOCTYPE html>\n");
        h.Append("<html><head><meta charset=\"utf-8\"><title>").Append(WebUtility.HtmlEncode(subject)).Append("</title></head>\n");
        h.Append("<body style=\"font-family:Segoe UI,Arial,sans-serif;font-size:14px;color:#1f1f1f\">\n");
        var headline = AlertLinks.HeadlineLevel(alert, incident);
        h.Append("<h2 style=\"margin:0 0 8px;color:").Append(LevelColour(headline)).Append("\">[")
            .Append(LevelName(headline)).Append("] ").Append(SafeText.Html(alert.Title, 200)).Append("</h2>\n");
        if (!string.IsNullOrWhiteSpace(alert.Description))
        {
            h.Append("<p>").Append(SafeText.Html(alert.Description, MaxDescriptionLength)).Append("</p>\n");
        }

        h.Append("<table cellpadding=\"4\" style=\"border-collapse:collapse\">\n");
        foreach (var (name, value) in Facts(alert))
        {
            h.Append("<tr><th align=\"left\">").Append(name).Append("</th><td>").Append(WebUtility.HtmlEncode(value)).Append("</td></tr>\n");
        }

        h.Append("</table>\n");
        foreach (var (label, text) in AlertLinks.Banners(alert, incident))
        {
            h.Append("<p style=\"padding:6px;background:#fff4ce\"><b>").Append(label).Append(":</b> ").Append(WebUtility.HtmlEncode(text)).Append("</p>\n");
        }

        AppendActionLinks(h, links);

        var (rows, hidden) = EvidenceRows(alert);
        if (rows.Count > 0)
        {
            h.Append("<h3>Evidence</h3>\n");
            h.Append("<table cellpadding=\"4\" border=\"1\" style=\"border-collapse:collapse\">\n");
            h.Append("<tr><th align=\"left\">Field</th><th align=\"left\">Value</th></tr>\n");
            foreach (var (field, value) in rows)
            {
                h.Append("<tr><td>").Append(SafeText.Html(field, MaxFieldLength))
                    .Append("</td><td style=\"font-family:Consolas,monospace;word-break:break-all\">")
                    .Append(SafeText.Html(value, MaxValueLength)).Append("</td></tr>\n");
            }

            h.Append("</table>\n");
            if (hidden > 0)
            {
                h.Append("<p>").Append(hidden.ToString(CultureInfo.InvariantCulture)).Append(" more fields not shown.</p>\n");
            }
        }

        var references = alert.References.Where(r => !string.IsNullOrWhiteSpace(r)).Take(MaxListItems).ToList();
        if (references.Count > 0)
        {
            h.Append("<h3>References</h3>\n<ul>\n");
            foreach (var reference in references)
            {
                h.Append("<li>");
                if (AlertLinks.TryHttpUrl(reference, out var uri))
                {
                    AppendLink(h, uri, uri.AbsoluteUri);
                }
                else
                {
                    // Not an http(s) URL (javascript:, data:, file:, plain text): shown, never linked.
                    h.Append(SafeText.Html(reference, 200));
                }

                h.Append("</li>\n");
            }

            h.Append("</ul>\n");
        }

        if (runbook is not null)
        {
            h.Append("<p><b>Runbook:</b> ");
            AppendLink(h, runbook, runbook.AbsoluteUri);
            h.Append("</p>\n");
        }

        h.Append("<p style=\"color:#605e5c;font-size:12px\">Alert ").Append(SafeText.Html(alert.AlertId, 128))
            .Append(" from AlertPipeline. Evidence values are copied from telemetry and may be attacker-controlled.</p>\n");
        h.Append("</body></html>\n");
        return h.ToString();
    }

    private static string Text(Alert alert, string subject, Uri? runbook, ActionLinkSet links, Incident? incident)
    {
        var t = new StringBuilder(2048);
        t.Append(subject).Append("\n\n");
        if (!string.IsNullOrWhiteSpace(alert.Description))
        {
            t.Append(SafeText.Clean(alert.Description, MaxDescriptionLength)).Append("\n\n");
        }

        foreach (var (name, value) in Facts(alert))
        {
            t.Append(name).Append(": ").Append(value).Append('\n');
        }

        foreach (var (label, text) in AlertLinks.Banners(alert, incident))
        {
            t.Append('\n').Append(label).Append(": ").Append(text).Append('\n');
        }

        t.Append('\n');
        foreach (var link in links.Links)
        {
            t.Append(link.Title).Append(": ").Append(link.Url.AbsoluteUri).Append('\n');
        }

        if (links.Notice is { } notice)
        {
            t.Append(notice).Append('\n');
        }

        var (rows, hidden) = EvidenceRows(alert);
        if (rows.Count > 0)
        {
            t.Append("\nEvidence\n");
            foreach (var (field, value) in rows)
            {
                t.Append("  ").Append(SafeText.Clean(field, MaxFieldLength)).Append(": ").Append(SafeText.Clean(value, MaxValueLength)).Append('\n');
            }

            if (hidden > 0)
            {
                t.Append("  (").Append(hidden.ToString(CultureInfo.InvariantCulture)).Append(" more fields not shown)\n");
            }
        }

        var references = alert.References.Where(r => !string.IsNullOrWhiteSpace(r)).Take(MaxListItems).ToList();
        if (references.Count > 0)
        {
            t.Append("\nReferences\n");
            foreach (var reference in references)
            {
                t.Append("  - ").Append(AlertLinks.TryHttpUrl(reference, out var uri) ? uri.AbsoluteUri : SafeText.Clean(reference, 200)).Append('\n');
            }
        }

        if (runbook is not null)
        {
            t.Append("\nRunbook: ").Append(runbook.AbsoluteUri).Append('\n');
        }

        t.Append("\nAlert ").Append(SafeText.Clean(alert.AlertId, 128))
            .Append(" from AlertPipeline. Evidence values are copied from telemetry and may be attacker-controlled.\n");
        return t.ToString();
    }

    // Label and cleaned (not yet encoded) value of the summary rows, shared by both parts.
    private static IEnumerable<(string Name, string Value)> Facts(Alert alert)
    {
        yield return ("Rule", $"{SafeText.Clean(alert.RuleId, 128)} ({SafeText.Clean(alert.RulePack, 64)})");
        yield return ("Level", alert.Level.ToSigma());
        yield return ("Mode", alert.Mode.ToText());
        yield return ("Sandbox", SafeText.Clean(alert.SandboxId, 128));
        yield return ("First seen", AlertLinks.Iso(alert.FirstSeen));
        yield return ("Last seen", AlertLinks.Iso(alert.LastSeen));
        yield return ("Events", alert.EventCount.ToString(CultureInfo.InvariantCulture));
        var tags = alert.Tags.Where(t => !string.IsNullOrWhiteSpace(t)).Take(MaxListItems).Select(t => SafeText.Clean(t, 64)).ToList();
        if (tags.Count > 0)
        {
            yield return ("Tags", string.Join(", ", tags));
        }
    }

    // Sorted by field name so the mail does not depend on dictionary order.
    private static (List<KeyValuePair<string, string>> Rows, int Hidden) EvidenceRows(Alert alert)
    {
        var rows = alert.Evidence.OrderBy(e => e.Key, StringComparer.Ordinal).Take(MaxEvidenceRows).ToList();
        return (rows, alert.Evidence.Count - rows.Count);
    }

    // Plain links styled as buttons (mail clients drop forms and scripts); each opens the confirmation page, which acts only on POST.
    private static void AppendActionLinks(StringBuilder h, ActionLinkSet links)
    {
        if (links.Links.Count > 0)
        {
            h.Append("<p>");
            foreach (var link in links.Links)
            {
                h.Append("<a href=\"").Append(WebUtility.HtmlEncode(link.Url.AbsoluteUri))
                    .Append("\" style=\"display:inline-block;padding:6px 14px;margin-right:8px;background:")
                    .Append(link.Action == AlertAction.Dismiss ? "#605e5c" : link.Action == AlertAction.Approve ? "#a4262c" : "#0078d4")
                    .Append(";color:#ffffff;text-decoration:none\">").Append(WebUtility.HtmlEncode(link.Title)).Append("</a>");
            }

            h.Append("</p>\n");
        }

        if (links.Notice is { } notice)
        {
            h.Append("<p style=\"color:#605e5c;font-size:12px\">").Append(WebUtility.HtmlEncode(notice)).Append("</p>\n");
        }
    }

    private static void AppendLink(StringBuilder h, Uri uri, string text)
        => h.Append("<a href=\"").Append(WebUtility.HtmlEncode(uri.AbsoluteUri)).Append("\">")
            .Append(SafeText.Html(text, 200)).Append("</a>");

    private static string LevelName(AlertLevel level) => level.ToSigma().ToUpperInvariant();

    private static string LevelColour(AlertLevel level) => level switch
    {
        AlertLevel.Critical => "#a4262c",
        AlertLevel.High => "#d83b01",
        AlertLevel.Medium => "#986f0b",
        AlertLevel.Low => "#0078d4",
        _ => "#605e5c",
    };
}

/// <summary>Link and time rules shared by the email and Teams renderers.</summary>
internal static class AlertLinks
{
    /// <summary>Longer URLs are shown as text, not linked.</summary>
    public const int MaxUrlLength = 2048;

    /// <summary>True when <paramref name="text"/> is an absolute http(s) URL safe to offer as a link.</summary>
    public static bool TryHttpUrl(string? text, [NotNullWhen(true)] out Uri? uri)
    {
        uri = null;
        if (string.IsNullOrWhiteSpace(text) || text.Length > MaxUrlLength || text.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
        {
            return false;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var parsed)
            || (parsed.Scheme != Uri.UriSchemeHttps && parsed.Scheme != Uri.UriSchemeHttp)
            || !string.IsNullOrEmpty(parsed.UserInfo))
        {
            // User info ("https://bank.example@evil.example") would disguise the real host.
            return false;
        }

        // Escaping can lengthen the URL; the bound is on what is emitted.
        if (parsed.AbsoluteUri.Length > MaxUrlLength)
        {
            return false;
        }

        uri = parsed;
        return true;
    }

    /// <summary>The runbook of <paramref name="ruleId"/> under <paramref name="baseUrl"/>, or null when none is configured.</summary>
    public static Uri? Runbook(string? baseUrl, string ruleId)
    {
        if (!TryHttpUrl(baseUrl?.Trim(), out var root) || string.IsNullOrWhiteSpace(ruleId))
        {
            return null;
        }

        return TryHttpUrl(root.AbsoluteUri.TrimEnd('/') + "/" + Uri.EscapeDataString(ruleId), out var runbook) ? runbook : null;
    }

    /// <summary>
    /// The notices above the evidence, label and cleaned (not yet encoded) text: the alert's status once a human took
    /// it, a shutdown held for approval, and an escalation. Shared by both renderers.
    /// </summary>
    public static IEnumerable<(string Label, string Text)> Banners(Alert alert, Incident? incident = null)
    {
        if (incident is not null)
        {
            yield return ("Incident", IncidentBanner(alert, incident));
        }

        if (alert.Status != AlertStatus.Open)
        {
            yield return ("Status", $"{alert.Status.ToString().ToLowerInvariant()}{(alert.StatusBy is null ? string.Empty : " by " + SafeText.Clean(alert.StatusBy, 128))}{(alert.StatusAt is { } at ? " at " + Iso(at) : string.Empty)}");
        }

        if (alert.ActionFor("shutdown") is { Status: ActionStatus.AwaitingApproval } held)
        {
            yield return ("Shutdown held for approval", SafeText.Clean(held.Detail, 300));
        }

        if (alert.Escalations > 0 && alert.Status == AlertStatus.Open)
        {
            yield return ($"Escalation {alert.Escalations.ToString(CultureInfo.InvariantCulture)}", $"still open and not acknowledged since {Iso(alert.CreatedAt)}");
        }
    }

    /// <summary>
    /// Which incident, the level and techniques this notification announced (the incident's own when the alert carries
    /// none), the reasons for the level, and why this notification went. Cleaned; the renderer encodes.
    /// </summary>
    public static string IncidentBanner(Alert alert, Incident incident)
    {
        var own = incident.Notifications.FindLast(n => n.AlertId == alert.AlertId);
        var level = own?.Level ?? incident.Level;
        var techniques = own?.Techniques ?? incident.Techniques;
        var text = $"{SafeText.Clean(incident.IncidentId, 64)} (sandbox {SafeText.Clean(incident.SandboxId, 64)}, {incident.AlertIds.Count.ToString(CultureInfo.InvariantCulture)} alerts), level {level.ToSigma()}"
            + (incident.LevelReasons.Count == 0 ? string.Empty : $" ({SafeText.Clean(string.Join("; ", incident.LevelReasons), 200)})")
            + $", techniques {(techniques.Count == 0 ? "none" : SafeText.Clean(string.Join(", ", techniques), 200))}"
            + (own is null ? "; this alert is covered by the incident's notifications" : $"; notified because: {SafeText.Clean(own.Reason, 200)}");
        return SafeText.Clean(text, 600);
    }

    /// <summary>The level a notification leads with: the alert's, or the one its incident notification announced when higher.</summary>
    public static AlertLevel HeadlineLevel(Alert alert, Incident? incident)
    {
        var announced = incident is null ? alert.Level : incident.Notifications.FindLast(n => n.AlertId == alert.AlertId)?.Level ?? incident.Level;
        return announced > alert.Level ? announced : alert.Level;
    }

    /// <summary>ISO-8601 in UTC to the second, the one time format of notifications.</summary>
    public static string Iso(DateTimeOffset time)
        => time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
