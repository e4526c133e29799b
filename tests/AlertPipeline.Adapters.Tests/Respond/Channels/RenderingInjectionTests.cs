using System.Text.Json.Nodes;
using AlertPipeline.Adapters.Respond.Channels.SendGrid;
using AlertPipeline.Adapters.Respond.Channels.Teams;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Approvals;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;

namespace AlertPipeline.Adapters.Tests.Respond.Channels;

/// <summary>
/// Telemetry-derived text carrying HTML, Markdown, Adaptive Card JSON and CRLF, put into each field a renderer shows,
/// comes out inert: the email's HTML parses (with a real HTML5 parser, as a mail client would) to the same elements as
/// a harmless alert's and shows the payload as text; the card's JSON has the same structure, only our actions, and no
/// unescaped Markdown; the subject is one line; the plain text has no extra lines. Rendered with signed links and a
/// held command, so every part of the card and email is present.
/// </summary>
public sealed class RenderingInjectionTests
{
    private const string LinkKey = "YWN0aW9uLWxpbmstdGVzdC1rZXktMzItYnl0ZXMtbG9uZyE=";
    private const string Runbook = "https://runbooks.example/alertpipeline";
    private const string AppBase = "https://func-alertpipe.example";

    private static readonly Dictionary<string, string> PayloadTexts = new()
    {
        ["html"] = "</td></tr></table><script>alert(1)</script><img src=x onerror=alert(1)><a href=\"http://evil.example\">login</a><!--",
        ["markdown"] = "[approve](http://evil.example) **urgent** _now_ # Heading ![i](http://evil.example/p.png) | a | b |\n|---|---|\n`code`",
        ["card-json"] = "\"}],\"actions\":[{\"type\":\"Action.OpenUrl\",\"title\":\"Approve shutdown\",\"url\":\"http://evil.example\"}]} {\"type\":\"Action.Submit\"}",
        ["crlf"] = "sbx-1\r\nBcc: victim@example.com\r\n\r\nFake line: shutdown approved by admin\nDismiss: http://evil.example",
    };

    private static readonly string[] Fields = ["title", "sandbox", "evidence-value", "evidence-key", "description", "tag", "held-detail", "status-by"];

    /// <summary>Every payload in every field.</summary>
    public static TheoryData<string, string> Payloads()
    {
        var data = new TheoryData<string, string>();
        foreach (var payload in PayloadTexts.Keys)
        {
            foreach (var field in Fields)
            {
                data.Add(payload, field);
            }
        }

        return data;
    }

    private static string Payload(string name) => PayloadTexts[name];

    // The fixed alert with a held command, a human status and an escalation, and text in one field.
    private static Alert With(string field, string text)
    {
        var alert = ChannelTestAlerts.Fixed();
        alert.Status = AlertStatus.Open;
        alert.Escalations = 1;
        alert.Actions.Add(new ActionRecord { Channel = "shutdown", Status = ActionStatus.AwaitingApproval, Detail = "guardrail: cap reached for sandbox x" });
        switch (field)
        {
            case "title": alert.Title = text; break;
            case "description": alert.Description = text; break;
            case "tag": alert.Tags = ["attack.t1496", text]; break;
            case "evidence-value": alert.Evidence["process.command_line"] = text; break;
            case "evidence-key": alert.Evidence.Remove("user.name"); alert.Evidence[text] = "agent"; break;
            case "held-detail": alert.Actions[^1].Detail = text; break;
            case "status-by": alert.Status = AlertStatus.Acknowledged; alert.StatusBy = text; alert.StatusAt = alert.LastSeen; break;
            default: return new Alert
            {
                AlertId = alert.AlertId, RuleId = alert.RuleId, RulePack = alert.RulePack, Title = alert.Title, Level = alert.Level,
                Tags = alert.Tags, References = alert.References, Description = alert.Description, SandboxId = text, Mode = alert.Mode,
                FirstSeen = alert.FirstSeen, LastSeen = alert.LastSeen, EventCount = alert.EventCount, Evidence = alert.Evidence,
                Actions = alert.Actions, Escalations = alert.Escalations, Status = alert.Status,
            };
        }

        return alert;
    }

    private static ActionLinkSet Links(Alert alert)
        => new ActionLinkIssuer(new ActionLinkSigner(LinkKey, "a1"), new ActionLinkOptions { BaseUrl = AppBase }).For(alert, "ops@example.com");

    [Theory]
    [MemberData(nameof(Payloads))]
    public void Card_keeps_its_structure_and_only_our_actions(string payload, string field)
    {
        var hostile = With(field, Payload(payload));
        var benign = With(field, "harmless text");

        var card = Card(AdaptiveCardBuilder.Build(hostile, Runbook, Links(hostile)), out var envelope);
        var reference = Card(AdaptiveCardBuilder.Build(benign, Runbook, Links(benign)), out _);

        Assert.Single(envelope["attachments"]!.AsArray());
        Assert.Equal(Shape(reference), Shape(card));
        var actions = card["actions"]!.AsArray().Select(a => a!.AsObject()).ToList();
        Assert.All(actions, a => Assert.Equal("Action.OpenUrl", (string?)a["type"]));
        // Acknowledge is offered only while the alert is open (not in the "status-by" case).
        var ours = field == "status-by" ? new[] { "Approve shutdown", "Dismiss" } : ["Acknowledge", "Approve shutdown", "Dismiss"];
        Assert.Equal([.. ours, "Open runbook", "Reference: attack.mitre.org"], actions.Select(a => (string?)a["title"]));
        Assert.All(actions.Take(ours.Length), a => Assert.StartsWith(AppBase + "/api/actions/", (string?)a["url"], StringComparison.Ordinal));
        Assert.DoesNotContain("evil.example", card["actions"]!.ToJsonString(), StringComparison.Ordinal);

        // Every Action or Submit object in the card is one of ours, under "actions".
        Assert.Equal(ours.Length + 2, Objects(card).Count(o => ((string?)o["type"])?.StartsWith("Action.", StringComparison.Ordinal) == true));
        foreach (var text in Texts(card["body"]!))
        {
            Assert.DoesNotContain('\r', text);
            Assert.DoesNotContain('\n', text);
            AssertNoLiveMarkdown(text);
        }
    }

    [Theory]
    [MemberData(nameof(Payloads))]
    public void Email_html_parses_to_the_same_elements_and_shows_the_payload_as_text(string payload, string field)
    {
        var hostile = With(field, Payload(payload));
        var benign = With(field, "harmless text");
        var parser = new HtmlParser();

        using var document = parser.ParseDocument(EmailBuilder.Build(hostile, Runbook, Links(hostile)).Html);
        using var reference = parser.ParseDocument(EmailBuilder.Build(benign, Runbook, Links(benign)).Html);

        Assert.Equal(reference.All.Select(e => e.LocalName), document.All.Select(e => e.LocalName));
        Assert.Empty(document.QuerySelectorAll("script, img, iframe, form, style, object, embed, svg"));
        Assert.DoesNotContain(document.All, e => e.Attributes.Any(a => a.Name.StartsWith("on", StringComparison.OrdinalIgnoreCase)));
        var hrefs = document.QuerySelectorAll("a").Select(a => a.GetAttribute("href")!).ToList();
        Assert.All(hrefs, href => Assert.True(
            href.StartsWith(AppBase + "/api/actions/", StringComparison.Ordinal) || href.StartsWith(Runbook, StringComparison.Ordinal)
            || href.StartsWith("https://attack.mitre.org/", StringComparison.Ordinal), href));
        Assert.Equal(field == "status-by" ? 2 : 3, hrefs.Count(h => h.StartsWith(AppBase, StringComparison.Ordinal)));
        Assert.Empty(document.Descendants<IComment>());

        // Shown, not interpreted: the (cleaned, possibly cut) payload is in the text.
        var shown = SafeText.Clean(Payload(payload), 60);
        Assert.Contains(shown[..Math.Min(40, shown.Length)], document.Body!.TextContent, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Payloads))]
    public void Subject_is_one_line_and_the_text_part_has_no_forged_lines(string payload, string field)
    {
        var hostile = EmailBuilder.Build(With(field, Payload(payload)), Runbook, ActionLinkSet.NotConfigured);
        var benign = EmailBuilder.Build(With(field, "harmless text"), Runbook, ActionLinkSet.NotConfigured);

        Assert.DoesNotContain(hostile.Subject, c => char.IsControl(c));
        Assert.True(hostile.Subject.Length <= EmailBuilder.MaxSubjectLength + 1);
        var lines = hostile.Text.Split('\n');
        Assert.Equal(benign.Text.Split('\n').Length, lines.Length);
        Assert.DoesNotContain(lines, l => l.StartsWith("Bcc:", StringComparison.Ordinal) || l.StartsWith("Fake line", StringComparison.Ordinal) || l.StartsWith("Dismiss:", StringComparison.Ordinal));
        Assert.DoesNotContain('\r', hostile.Text);
    }

    private static JsonObject Card(string json, out JsonObject envelope)
    {
        envelope = JsonNode.Parse(json)!.AsObject();
        return envelope["attachments"]![0]!["content"]!.AsObject();
    }

    // The card's skeleton: element types and keys, nesting and array lengths, without the strings' content.
    private static string Shape(JsonNode? node) => node switch
    {
        JsonObject o => "{" + string.Join(",", o.Select(p => p.Key + ":" + (p.Key is "type" or "style" or "weight" or "color" ? (string?)p.Value : Shape(p.Value)))) + "}",
        JsonArray a => "[" + string.Join(",", a.Select(Shape)) + "]",
        JsonValue v => v.GetValueKind().ToString(),
        _ => "null",
    };

    private static IEnumerable<JsonObject> Objects(JsonNode? node)
    {
        if (node is JsonObject o)
        {
            yield return o;
            foreach (var child in o.SelectMany(p => Objects(p.Value)))
            {
                yield return child;
            }
        }
        else if (node is JsonArray a)
        {
            foreach (var child in a.SelectMany(Objects))
            {
                yield return child;
            }
        }
    }

    private static IEnumerable<string> Texts(JsonNode node)
        => Objects(node).SelectMany(o => o.Where(p => p.Key is "text" or "title" or "value" && p.Value is JsonValue).Select(p => (string)p.Value!));

    // Markdown that would render as a link, image, emphasis, heading, table or code: any of these characters not
    // preceded by an escaping backslash.
    private static void AssertNoLiveMarkdown(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\')
            {
                i++;
                continue;
            }

            Assert.False(text[i] is '[' or ']' or '(' or ')' or '*' or '_' or '#' or '|' or '<' or '>' or '`' or '!', $"unescaped '{text[i]}' in card text: {text}");
        }
    }
}
