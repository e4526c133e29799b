using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AlertPipeline.Adapters.Respond.Channels.Teams;
using AlertPipeline.Core.Detect;

namespace AlertPipeline.Adapters.Tests.Respond.Channels.Teams;

/// <summary><see cref="AdaptiveCardBuilder"/>: golden payload, level colours, Markdown escaping and the size bound.</summary>
public sealed class AdaptiveCardBuilderTests
{
    private const string Runbook = "https://runbooks.example/alertpipeline";

    // Only for writing the golden file: indented and without \u escapes, so a reviewer can read it. Comparison is
    // on the parsed JSON, so escaping differences do not matter.
    private static readonly JsonSerializerOptions Readable = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [Fact]
    public void Fixed_alert_renders_as_the_golden_payload()
    {
        var json = AdaptiveCardBuilder.Build(ChannelTestAlerts.Fixed(), Runbook);

        var actual = JsonNode.Parse(json);
        var expected = JsonNode.Parse(Golden.Read("card.golden.json", actual!.ToJsonString(Readable) + "\n"));
        Assert.True(JsonNode.DeepEquals(expected, actual), $"payload differs from card.golden.json:\n{json}");
    }

    [Theory]
    [InlineData(AlertLevel.Critical, "attention")]
    [InlineData(AlertLevel.High, "attention")]
    [InlineData(AlertLevel.Medium, "warning")]
    [InlineData(AlertLevel.Low, "accent")]
    [InlineData(AlertLevel.Informational, "default")]
    public void Header_colour_follows_the_level(AlertLevel level, string colour)
    {
        var alert = ChannelTestAlerts.Fixed();
        alert.Level = level;

        var header = Card(AdaptiveCardBuilder.Build(alert))["body"]![0]!;

        Assert.Equal(colour, (string?)header["color"]);
    }

    [Fact]
    public void Envelope_is_a_workflows_message_with_one_adaptive_card()
    {
        var payload = JsonNode.Parse(AdaptiveCardBuilder.Build(ChannelTestAlerts.Fixed()))!;

        Assert.Equal("message", (string?)payload["type"]);
        var attachment = Assert.Single(payload["attachments"]!.AsArray())!;
        Assert.Equal("application/vnd.microsoft.card.adaptive", (string?)attachment["contentType"]);
        Assert.Equal("AdaptiveCard", (string?)attachment["content"]!["type"]);
        Assert.Equal("1.5", (string?)attachment["content"]!["version"]);
        Assert.Equal(AdaptiveCardBuilder.Schema, (string?)attachment["content"]!["$schema"]);
    }

    [Fact]
    public void Hostile_markdown_cannot_make_links_or_images()
    {
        var card = Card(AdaptiveCardBuilder.Build(ChannelTestAlerts.Hostile()));

        var texts = RenderedTexts(card).ToList();
        Assert.Contains(texts, t => t.Contains("\\[click\\]\\(http://evil\\.example\\)", StringComparison.Ordinal));
        // A Markdown link or image needs an unescaped "](" — none may survive.
        Assert.All(texts, t => Assert.DoesNotMatch(new Regex(@"(?<!\\)\]\s*(?<!\\)\("), t));
        Assert.All(texts, t => Assert.DoesNotMatch(new Regex(@"(?<!\\)\*\*"), t));
        Assert.All(texts, t => Assert.DoesNotContain('\n', t));
        Assert.All(texts, t => Assert.DoesNotContain('\u202E', t));
    }

    [Fact]
    public void Hostile_references_become_actions_only_when_plain_http()
    {
        var card = Card(AdaptiveCardBuilder.Build(ChannelTestAlerts.Hostile(), Runbook));

        var urls = card["actions"]!.AsArray().Select(a => (string)a!["url"]!).ToList();
        Assert.Equal(2, urls.Count);
        Assert.Equal(Runbook + "/net-cloud-metadata", urls[0]);
        Assert.StartsWith("https://ok.example/path?a=1&b=%22%3E%3Cimg", urls[1], StringComparison.Ordinal);
        Assert.All(card["actions"]!.AsArray(), a => Assert.Equal("Action.OpenUrl", (string?)a!["type"]));
    }

    [Fact]
    public void Hostile_payload_stays_under_the_teams_limit()
    {
        var json = AdaptiveCardBuilder.Build(ChannelTestAlerts.Hostile(), Runbook);

        Assert.True(Encoding.UTF8.GetByteCount(json) <= AdaptiveCardBuilder.MaxPayloadBytes, $"{Encoding.UTF8.GetByteCount(json)} bytes");
        Assert.Contains("command\\\\_line", json.Replace("\\u005C", "\\", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void Worst_case_payload_is_cut_down_to_fit()
    {
        // Every string at or over its cap, made of characters with the longest escaped form.
        var worst = new string('<', 4096);
        var alert = ChannelTestAlerts.Hostile();
        alert.Title = worst;
        alert.Description = worst;
        alert.Tags = Enumerable.Repeat(worst, 50).ToList();
        alert.References = Enumerable.Range(0, 20).Select(i => $"https://e{i}.example/?" + string.Concat(Enumerable.Repeat("a&", 1000))).ToList();
        alert.Evidence = Enumerable.Range(0, 500).ToDictionary(i => $"{i}{worst}", _ => worst, StringComparer.Ordinal);

        var json = AdaptiveCardBuilder.Build(alert, Runbook);

        Assert.True(Encoding.UTF8.GetByteCount(json) <= AdaptiveCardBuilder.MaxPayloadBytes, $"{Encoding.UTF8.GetByteCount(json)} bytes");
        var card = Card(json);
        Assert.Equal("AdaptiveCard", (string?)card["type"]);
        Assert.Contains(RenderedTexts(card), t => t.Contains("more evidence fields not shown", StringComparison.Ordinal));
    }

    [Fact]
    public void Evidence_fact_values_are_truncated()
    {
        var card = Card(AdaptiveCardBuilder.Build(ChannelTestAlerts.Hostile()));

        var evidence = card["body"]!.AsArray().Where(b => (string?)b!["type"] == "FactSet").Last()!["facts"]!.AsArray();
        var commandLine = evidence.Single(f => ((string)f!["title"]!).StartsWith("process", StringComparison.Ordinal))!;
        Assert.EndsWith("…", (string)commandLine["value"]!, StringComparison.Ordinal);
        Assert.True(((string)commandLine["value"]!).Length <= 310);
    }

    private static JsonNode Card(string json) => JsonNode.Parse(json)!["attachments"]![0]!["content"]!;

    // Every string Teams renders as Markdown: TextBlock texts and fact titles and values.
    private static IEnumerable<string> RenderedTexts(JsonNode card)
    {
        foreach (var element in card["body"]!.AsArray())
        {
            if ((string?)element!["type"] == "TextBlock")
            {
                yield return (string)element["text"]!;
            }
            else if ((string?)element["type"] == "FactSet")
            {
                foreach (var fact in element["facts"]!.AsArray())
                {
                    yield return (string)fact!["title"]!;
                    yield return (string)fact["value"]!;
                }
            }
        }
    }
}
