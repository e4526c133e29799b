using System.Text.Json;
using System.Text.Json.Nodes;

namespace AlertPipeline.Cli.Tests.Commands;

/// <summary>
/// The README's first command: the recorded ROME incident replayed through the real pipeline with the default rule
/// pack. Its alerts are compared with a reviewed golden file, so a change to a rule, a format or the responder that
/// changes what an operator would see shows up as a diff. Regenerate with ALERTPIPELINE_UPDATE_GOLDEN=1.
/// </summary>
public sealed class RomeIncidentReplayTests
{
    private static readonly string GoldenPath = Path.Combine(CliRun.RepoRoot, "tests", "AlertPipeline.Cli.Tests", "Commands", "rome-incident.golden.jsonl");

    private static Task<CliRun> ReplayAsync(params string[] extra)
        => RomeIncidentSample.ReplayAsync(["--rules", Path.Combine(CliRun.RepoRoot, "rules"), .. extra]);

    [Fact]
    public async Task Alerts_match_the_reviewed_golden_file()
    {
        var run = await ReplayAsync("--output", "json");
        Assert.Equal(0, run.ExitCode);

        // Shutdown details carry the wall-clock expiry of the command; everything else is a function of the input.
        // Only the alert lines: the incident lines that follow them are checked on their own.
        var lines = ReplayOutput.AlertLines(run.Stdout).Select(line =>
        {
            var alert = JsonNode.Parse(line)!.AsObject();
            foreach (var action in alert["actions"]!.AsArray())
            {
                if ((string?)action!["channel"] == "shutdown")
                {
                    action.AsObject().Remove("detail");
                }
            }

            return alert.ToJsonString();
        }).ToList();
        var actual = string.Join('\n', lines) + "\n";

        if (Environment.GetEnvironmentVariable("ALERTPIPELINE_UPDATE_GOLDEN") == "1")
        {
            await File.WriteAllTextAsync(GoldenPath, actual);
        }

        Assert.Equal(await File.ReadAllTextAsync(GoldenPath), actual);
    }

    [Fact]
    public async Task The_escape_is_caught_and_the_sandbox_is_ordered_down_once()
    {
        var run = await ReplayAsync("--output", "json");

        var alerts = ReplayOutput.AlertLines(run.Stdout).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var titles = alerts.Select(a => a.GetProperty("title").GetString()!).ToList();

        // The three things the ROME agent did: mine on the GPUs, tunnel out over SSH, probe the network / metadata.
        Assert.Contains(titles, t => t.Contains("Miner", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(titles, t => t.Contains("SSH Reverse", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(titles, t => t.Contains("Metadata", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(alerts, a => a.GetProperty("ruleId").GetString() is not null && a.GetProperty("sandboxId").GetString() == "rl-env-7731"
            && a.GetProperty("title").GetString()!.StartsWith("Firewall", StringComparison.Ordinal));

        // The samples carry benign background from other sandboxes (installs, downloads, checkpoints, NCCL traffic).
        Assert.All(alerts, a => Assert.Equal("rl-env-7731", a.GetProperty("sandboxId").GetString()));
        Assert.Contains("rl-env-7732", await File.ReadAllTextAsync(Path.Combine(RomeIncidentSample.Folder, "sandbox-telemetry.jsonl")));

        var shutdowns = alerts.SelectMany(a => a.GetProperty("actions").EnumerateArray())
            .Where(a => a.GetProperty("channel").GetString() == "shutdown").ToList();
        Assert.True(shutdowns.Count > 1, "several critical rules fire on the incident");
        Assert.Single(shutdowns, s => s.GetProperty("status").GetString() == "printed");
        Assert.All(shutdowns.Where(s => s.GetProperty("status").GetString() != "printed"),
            s => Assert.StartsWith("already ordered", s.GetProperty("detail").GetString(), StringComparison.Ordinal));
        Assert.Contains("rejected 0", run.Stderr);
    }

    [Fact]
    public async Task Json_output_ends_with_one_critical_incident_holding_every_alert_whose_timeline_starts_with_the_tunnel_call()
    {
        var run = await ReplayAsync("--output", "json");
        Assert.Equal(0, run.ExitCode);

        // Exactly one incident line, after all the alert lines.
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var alertLines = ReplayOutput.AlertLines(run.Stdout);
        var line = Assert.Single(ReplayOutput.IncidentLines(run.Stdout));
        Assert.Equal([.. alertLines, line], lines);
        Assert.Contains("incidents: 1", run.Stderr, StringComparison.Ordinal);

        var incident = JsonDocument.Parse(line).RootElement;
        Assert.StartsWith("inc-", incident.GetProperty("incidentId").GetString(), StringComparison.Ordinal);
        Assert.Equal("rl-env-7731", incident.GetProperty("sandboxId").GetString());
        Assert.Equal("critical", incident.GetProperty("level").GetString());
        var techniques = incident.GetProperty("techniques").EnumerateArray().Select(t => t.GetString()).ToList();
        Assert.Contains("T1496", techniques);
        Assert.Contains("T1572", techniques);
        Assert.Equal(
            alertLines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("alertId").GetString()).Order(StringComparer.Ordinal),
            incident.GetProperty("alertIds").EnumerateArray().Select(a => a.GetString()).Order(StringComparer.Ordinal));

        var first = incident.GetProperty("timeline")[0];
        Assert.Equal("tool_call", first.GetProperty("kind").GetString());
        Assert.StartsWith("agent's bash tool call call_88123_07 ran: ssh -fNR 2222:localhost:22", first.GetProperty("summary").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Table_output_shows_the_email_card_and_signed_command_it_would_send()
    {
        var run = await ReplayAsync();

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Subject: [CRITICAL]", run.Stdout);
        Assert.Contains("\"type\":\"AdaptiveCard\"", run.Stdout);
        Assert.Contains("queue sandbox-commands: {\"commandId\":", run.Stdout);
        Assert.Contains("\"signature\":", run.Stdout);
    }
}
