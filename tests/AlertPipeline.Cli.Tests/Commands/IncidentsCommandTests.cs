using System.Text.Json;
using AlertPipeline.Cli.Commands;
using AlertPipeline.Core.Respond.Incidents;
using static AlertPipeline.Cli.Tests.Commands.HandMadeIncidents;

namespace AlertPipeline.Cli.Tests.Commands;

/// <summary>
/// <c>alertpipe incidents</c> over an in-memory store of hand-made incidents (the command's store seam). The same
/// commands against Table Storage through <c>--storage</c> come with the Table incident store.
/// </summary>
public sealed class IncidentsCommandTests
{
    private const string Storage = "UseDevelopmentStorage=true";
    private static readonly DateTimeOffset Now = T0.AddHours(1);

    private static async Task<CliRun> RunAsync(IIncidentStore store, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code;
        try
        {
            code = await new IncidentsCommand(stdout, stderr, new FixedTime(Now), store).RunAsync([.. args, "--storage", Storage], CancellationToken.None);
        }
        catch (UsageException e)
        {
            await stderr.WriteLineAsync(e.Message);
            code = 2;
        }

        return new CliRun(code, stdout.ToString(), stderr.ToString());
    }

    private static List<string> Lines(string text) => [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r'))];

    [Fact]
    public async Task List_prints_a_table_latest_first_and_filters()
    {
        var resolved = Rome("rl-env-7732", start: T0.AddMinutes(30));
        resolved.Status = IncidentStatus.Resolved;
        var store = await StoreAsync(Rome(), resolved, Rome("rl-env-7731", 2, T0.AddMinutes(40)));

        var all = await RunAsync(store, "list");
        var open = await RunAsync(store, "list", "--status", "open", "--sandbox", "rl-env-7731", "--max", "1");
        var none = await RunAsync(store, "list", "--since", "2025-11-15T00:00:00Z");

        Assert.Equal(0, all.ExitCode);
        var rows = Lines(all.Stdout);
        Assert.StartsWith("LAST SEEN (UTC)", rows[0], StringComparison.Ordinal);
        Assert.Equal([IncidentIds.For("rl-env-7731", 2), IncidentIds.For("rl-env-7732", 1), IncidentIds.For("rl-env-7731", 1)], rows.Skip(1).Select(r => r.Split(' ')[^1]));
        Assert.Matches(@"^2025-11-14 03:20:01\s+critical\s+open\s+rl-env-7731\s+2\s+T1496,T1572\s+inc-", rows[3]);
        Assert.Equal([IncidentIds.For("rl-env-7731", 2)], Lines(open.Stdout).Skip(1).Select(r => r.Split(' ')[^1]));
        Assert.Equal(["No incidents."], Lines(none.Stdout));
    }

    [Fact]
    public async Task List_json_prints_one_incident_line_each()
    {
        var store = await StoreAsync(Rome(), Rome("rl-env-7732"));

        var run = await RunAsync(store, "list", "--output", "json", "--since", "2h");

        var lines = Lines(run.Stdout).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(2, lines.Count);
        Assert.All(lines, l => Assert.Equal(5, l.GetProperty("timeline").GetArrayLength()));
    }

    [Fact]
    public async Task Show_prints_the_story_or_json_and_a_missing_incident_exits_1()
    {
        var incident = Rome(toolSummary: Forgery);
        var store = await StoreAsync(incident);

        var text = await RunAsync(store, "show", incident.IncidentId);
        var json = await RunAsync(store, "show", incident.IncidentId, "--output", "json");
        var missing = await RunAsync(store, "show", IncidentIds.For("rl-env-0000", 1));

        Assert.Equal(0, text.ExitCode);
        Assert.StartsWith($"Incident {incident.IncidentId}  sandbox rl-env-7731  status open", text.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', text.Stdout);
        Assert.DoesNotContain(Lines(text.Stdout), l => l.StartsWith("  03:20:05.000Z", StringComparison.Ordinal));
        Assert.Equal(incident.IncidentId, JsonDocument.Parse(Assert.Single(Lines(json.Stdout))).RootElement.GetProperty("incidentId").GetString());
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("no incident", missing.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resolve_and_acknowledge_move_the_status_forward_only_and_record_who()
    {
        var incident = Rome();
        var store = await StoreAsync(incident);

        var resolve = await RunAsync(store, "resolve", incident.IncidentId, "--by", "oncall@example.com", "--note", "miner removed");
        var acknowledge = await RunAsync(store, "acknowledge", incident.IncidentId, "--by", "late");

        Assert.Equal(0, resolve.ExitCode);
        Assert.Equal($"{incident.IncidentId}: resolved", resolve.Stdout.Trim());
        Assert.Equal($"{incident.IncidentId}: still resolved (status only moves forward)", acknowledge.Stdout.Trim());
        var stored = (await store.GetAsync(incident.IncidentId, CancellationToken.None))!;
        Assert.Equal(IncidentStatus.Resolved, stored.Status);
        Assert.Equal("oncall@example.com", stored.StatusBy);
        Assert.Equal(Now, stored.StatusAt);
        Assert.Single(stored.Timeline, e => e.Kind == TimelineKinds.Status && e.Summary == "status resolved by oncall@example.com: miner removed");
    }

    [Theory]
    [InlineData(new[] { "list", "--status", "closed" }, "--status must be")]
    [InlineData(new[] { "list", "--max", "0" }, "--max must be")]
    [InlineData(new[] { "list", "--since", "yesterday" }, "--since")]
    [InlineData(new[] { "list", "--output", "xml" }, "--output must be table or json")]
    [InlineData(new[] { "list", "--by", "x" }, "--by does not go with incidents list")]
    [InlineData(new[] { "show" }, "expected: incidents list")]
    [InlineData(new[] { "show", "inc-nope" }, "is not an incident id")]
    [InlineData(new[] { "show", "inc-0123456789abcdef01234567", "--output", "table" }, "--output must be text or json")]
    [InlineData(new[] { "resolve", "inc-0123456789abcdef01234567" }, "--by <name> is required")]
    [InlineData(new[] { "reopen", "inc-0123456789abcdef01234567" }, "expected: incidents list")]
    public async Task Bad_arguments_exit_2_with_one_line(string[] args, string message)
    {
        var run = await RunAsync(new InMemoryIncidentStore(), args);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_command_is_in_the_cli_table_and_needs_storage()
    {
        var help = await CliRun.RunAsync("--help");
        var usage = await CliRun.RunAsync("incidents", "--help");
        var noStorage = await CliRun.RunAsync("incidents", "list");

        Assert.Contains("incidents list|show|acknowledge|resolve", help.Stdout, StringComparison.Ordinal);
        Assert.Contains("alertpipe incidents show <incident id>", usage.Stdout, StringComparison.Ordinal);
        Assert.Equal(2, noStorage.ExitCode);
        Assert.Contains("--storage", noStorage.Stderr, StringComparison.Ordinal);
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
