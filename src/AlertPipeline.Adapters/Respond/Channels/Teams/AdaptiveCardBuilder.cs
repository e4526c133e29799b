using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using AlertPipeline.Adapters.Respond.Channels.SendGrid;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Approvals;
using AlertPipeline.Core.Respond.Incidents;

namespace AlertPipeline.Adapters.Respond.Channels.Teams;

/// <summary>
/// Renders an <see cref="Alert"/> as the payload a Teams Workflows webhook expects: a <c>message</c> with one
/// Adaptive Card (version 1.5) attachment. Pure, so it is compared with a golden file.
/// TextBlocks and facts render Markdown, so every alert-derived string goes through <see cref="SafeText.Markdown"/>;
/// JSON escaping is left to System.Text.Json. Only http(s) references and the runbook become <c>Action.OpenUrl</c>.
/// The serialized payload stays under <see cref="MaxPayloadBytes"/> (Teams rejects about 28 KB and more): evidence
/// and long texts are cut further until it fits.
/// </summary>
public static class AdaptiveCardBuilder
{
    /// <summary>Upper bound of the UTF-8 payload, below Teams' limit of about 28 KB with room for the envelope.</summary>
    public const int MaxPayloadBytes = 27 * 1024;

    /// <summary>The card schema URL.</summary>
    public const string Schema = "http://adaptivecards.io/schemas/adaptive-card.json";

    // Each step cuts more; the last is small enough by construction: with every string at its cap and every
    // character escaped to its longest JSON form (8 bytes for an escaped Markdown character), it is under the bound.
    private static readonly Limits[] Steps =
    [
        new(EvidenceRows: 20, ValueLength: 300, DescriptionLength: 1000, Tags: 10, Links: 5),
        new(EvidenceRows: 20, ValueLength: 120, DescriptionLength: 500, Tags: 10, Links: 5),
        new(EvidenceRows: 10, ValueLength: 120, DescriptionLength: 500, Tags: 10, Links: 3),
        new(EvidenceRows: 5, ValueLength: 60, DescriptionLength: 300, Tags: 5, Links: 2),
        new(EvidenceRows: 0, ValueLength: 0, DescriptionLength: 200, Tags: 5, Links: 1),
    ];

    /// <summary>The webhook payload for <paramref name="alert"/>, serialized.</summary>
    /// <param name="alert">The alert.</param>
    /// <param name="runbookBaseUrl">Base URL of the runbooks, or null for no runbook action.</param>
    /// <param name="links">The signed action links (Acknowledge, Approve shutdown, Dismiss); null renders the "links are off" notice.</param>
    /// <param name="incident">The alert's incident, or null: shown as a banner (which incident, its level, techniques, why this notification went).</param>
    public static string Build(Alert alert, string? runbookBaseUrl = null, ActionLinkSet? links = null, Incident? incident = null)
    {
        ArgumentNullException.ThrowIfNull(alert);
        links ??= ActionLinkSet.NotConfigured;
        string json = string.Empty;
        foreach (var limits in Steps)
        {
            json = Payload(alert, runbookBaseUrl, links, limits, incident).ToJsonString();
            if (Encoding.UTF8.GetByteCount(json) <= MaxPayloadBytes)
            {
                break;
            }
        }

        return json;
    }

    private static JsonObject Payload(Alert alert, string? runbookBaseUrl, ActionLinkSet links, Limits limits, Incident? incident)
    {
        var card = new JsonObject
        {
            ["$schema"] = Schema,
            ["type"] = "AdaptiveCard",
            ["version"] = "1.5",
            ["msteams"] = new JsonObject { ["width"] = "Full" },
            ["body"] = Body(alert, links, limits, incident),
        };

        var actions = Actions(alert, runbookBaseUrl, links, limits.Links);
        if (actions.Count > 0)
        {
            card["actions"] = actions;
        }

        return new JsonObject
        {
            ["type"] = "message",
            ["attachments"] = new JsonArray(new JsonObject
            {
                ["contentType"] = "application/vnd.microsoft.card.adaptive",
                ["content"] = card,
            }),
        };
    }

    private static JsonArray Body(Alert alert, ActionLinkSet links, Limits limits, Incident? incident)
    {
        var body = new JsonArray
        {
            new JsonObject
            {
                ["type"] = "TextBlock",
                ["text"] = $"{AlertLinks.HeadlineLevel(alert, incident).ToSigma().ToUpperInvariant()}: {SafeText.Markdown(alert.Title, 200)}",
                ["style"] = "heading",
                ["size"] = "Large",
                ["weight"] = "Bolder",
                ["color"] = Colour(AlertLinks.HeadlineLevel(alert, incident)),
                ["wrap"] = true,
            },
        };

        if (!string.IsNullOrWhiteSpace(alert.Description))
        {
            body.Add(new JsonObject
            {
                ["type"] = "TextBlock",
                ["text"] = SafeText.Markdown(alert.Description, limits.DescriptionLength),
                ["wrap"] = true,
            });
        }

        var facts = new JsonArray
        {
            Fact("Rule", SafeText.Markdown(alert.RuleId, 128)),
            Fact("Rule pack", SafeText.Markdown(alert.RulePack, 64)),
            Fact("Level", alert.Level.ToSigma()),
            Fact("Mode", alert.Mode.ToText()),
            Fact("Sandbox", SafeText.Markdown(alert.SandboxId, 128)),
            Fact("First seen", AlertLinks.Iso(alert.FirstSeen)),
            Fact("Last seen", AlertLinks.Iso(alert.LastSeen)),
            Fact("Events", alert.EventCount.ToString(CultureInfo.InvariantCulture)),
        };
        var tags = alert.Tags.Where(t => !string.IsNullOrWhiteSpace(t)).Take(limits.Tags).Select(t => SafeText.Markdown(t, 64)).ToList();
        if (tags.Count > 0)
        {
            facts.Add(Fact("Tags", string.Join(", ", tags)));
        }

        facts.Add(Fact("Alert id", SafeText.Markdown(alert.AlertId, 128)));
        body.Add(new JsonObject { ["type"] = "FactSet", ["facts"] = facts });
        foreach (var (label, text) in AlertLinks.Banners(alert, incident))
        {
            // The label is ours; the text may quote telemetry (a guardrail's detail names the sandbox), so it is escaped.
            body.Add(new JsonObject
            {
                ["type"] = "TextBlock",
                ["text"] = $"{label}: {SafeText.Markdown(text, 300)}",
                ["weight"] = "Bolder",
                ["color"] = "warning",
                ["wrap"] = true,
            });
        }

        if (links.Notice is { } notice)
        {
            body.Add(new JsonObject
            {
                ["type"] = "TextBlock",
                ["text"] = SafeText.Markdown(notice, 300),
                ["size"] = "Small",
                ["isSubtle"] = true,
                ["wrap"] = true,
            });
        }

        // Sorted so the card does not depend on dictionary order.
        var evidence = alert.Evidence.OrderBy(e => e.Key, StringComparer.Ordinal).Take(limits.EvidenceRows).ToList();
        var hidden = alert.Evidence.Count - evidence.Count;
        if (evidence.Count > 0)
        {
            body.Add(new JsonObject
            {
                ["type"] = "TextBlock",
                ["text"] = "Evidence",
                ["weight"] = "Bolder",
                ["separator"] = true,
                ["wrap"] = true,
            });
            var rows = new JsonArray();
            foreach (var (field, value) in evidence)
            {
                rows.Add(Fact(SafeText.Markdown(field, 64), SafeText.Markdown(value, limits.ValueLength)));
            }

            body.Add(new JsonObject { ["type"] = "FactSet", ["facts"] = rows });
        }

        if (hidden > 0)
        {
            body.Add(new JsonObject
            {
                ["type"] = "TextBlock",
                ["text"] = $"{hidden.ToString(CultureInfo.InvariantCulture)} more evidence fields not shown",
                ["isSubtle"] = true,
                ["wrap"] = true,
            });
        }

        body.Add(new JsonObject
        {
            ["type"] = "TextBlock",
            ["text"] = "Evidence values are copied from telemetry and may be attacker\\-controlled\\.",
            ["size"] = "Small",
            ["isSubtle"] = true,
            ["wrap"] = true,
        });
        return body;
    }

    private static JsonArray Actions(Alert alert, string? runbookBaseUrl, ActionLinkSet links, int max)
    {
        // The signed links come first and are never cut; then the runbook, so it survives even the smallest step.
        // Each opens the confirmation page, which acts only on POST (a GET is what link scanners send).
        var actions = new JsonArray();
        foreach (var link in links.Links)
        {
            actions.Add(OpenUrl(link.Title, link.Url));
        }

        var ours = actions.Count;
        if (AlertLinks.Runbook(runbookBaseUrl, alert.RuleId) is { } runbook)
        {
            actions.Add(OpenUrl("Open runbook", runbook));
        }

        foreach (var reference in alert.References)
        {
            if (actions.Count - ours >= max)
            {
                break;
            }

            if (AlertLinks.TryHttpUrl(reference, out var uri))
            {
                // Action titles are plain text; the punycode host shows where the link really goes.
                actions.Add(OpenUrl($"Reference: {SafeText.Clean(uri.IdnHost, 64)}", uri));
            }
        }

        return actions;
    }

    private static JsonObject OpenUrl(string title, Uri uri) => new()
    {
        ["type"] = "Action.OpenUrl",
        ["title"] = title,
        ["url"] = uri.AbsoluteUri,
    };

    private static JsonObject Fact(string title, string value) => new() { ["title"] = title, ["value"] = value };

    // Adaptive Card colour names: red for what needs action now, amber for a look soon, blue or plain otherwise.
    private static string Colour(AlertLevel level) => level switch
    {
        AlertLevel.Critical or AlertLevel.High => "attention",
        AlertLevel.Medium => "warning",
        AlertLevel.Low => "accent",
        _ => "default",
    };

    private readonly record struct Limits(int EvidenceRows, int ValueLength, int DescriptionLength, int Tags, int Links);
}
