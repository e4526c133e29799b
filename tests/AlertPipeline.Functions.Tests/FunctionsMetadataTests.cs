using System.Text.Json;

namespace AlertPipeline.Functions.Tests;

/// <summary>
/// The function metadata the Functions SDK generated from the attributes: functions.metadata in the app's output, and
/// the source-generated provider the worker answers the host with when worker indexing is on (the SDK's default).
/// A wrong binding property here means a function that never triggers, or one that triggers per event instead of per batch.
/// </summary>
public sealed class FunctionsMetadataTests
{
    [Theory]
    [InlineData("IngestSandboxTelemetry", "%SandboxTelemetryHubName%")]
    [InlineData("IngestFirewallLogs", "%FirewallLogsHubName%")]
    public void Function_HasExactlyTheBatchedEventHubTrigger(string functionName, string eventHubName)
    {
        using var metadata = FunctionAppArtifacts.Load("functions.metadata");
        var function = Assert.Single(metadata.RootElement.EnumerateArray(), f => f.GetProperty("name").GetString() == functionName);

        Assert.Equal("AlertPipeline.Functions.dll", function.GetProperty("scriptFile").GetString());
        Assert.Equal($"AlertPipeline.Functions.Functions.{functionName}.RunAsync", function.GetProperty("entryPoint").GetString());
        Assert.Equal("dotnet-isolated", function.GetProperty("language").GetString());

        var binding = Assert.Single(function.GetProperty("bindings").EnumerateArray());
        var expected = new Dictionary<string, string>
        {
            ["name"] = "bodies",
            ["direction"] = "In",
            ["type"] = "eventHubTrigger",
            ["eventHubName"] = eventHubName,
            ["connection"] = "EventHubConnection",
            ["consumerGroup"] = "%EventHubConsumerGroup%",
            ["cardinality"] = "Many",
            ["dataType"] = "Binary",
        };
        var actual = binding.EnumerateObject()
            .Where(p => p.Value.ValueKind == JsonValueKind.String)
            .ToDictionary(p => p.Name, p => p.Value.GetString()!);
        Assert.Equal(expected.OrderBy(p => p.Key), actual.OrderBy(p => p.Key));

        // No per-function retry: the host.json policy is the one in force (see HostJsonTests).
        Assert.False(function.TryGetProperty("retry", out _));
    }

    [Fact]
    public async Task WorkerIndexing_ReportsTheSameFunctionsAndBindings()
    {
        using var metadata = FunctionAppArtifacts.Load("functions.metadata");
        var fromFile = metadata.RootElement.EnumerateArray().ToDictionary(
            f => f.GetProperty("name").GetString()!,
            f => (f.GetProperty("entryPoint").GetString(), Bindings(f.GetProperty("bindings").EnumerateArray())));

        var generated = await new GeneratedFunctionMetadataProvider().GetFunctionMetadataAsync(AppContext.BaseDirectory);

        Assert.Equal(fromFile.Keys.Order(StringComparer.Ordinal), generated.Select(f => f.Name!).Order(StringComparer.Ordinal));
        foreach (var function in generated)
        {
            var (entryPoint, bindings) = fromFile[function.Name!];
            Assert.Equal(entryPoint, function.EntryPoint);
            Assert.Equal("dotnet-isolated", function.Language);
            var rawBindings = function.RawBindings!.Select(raw => JsonDocument.Parse(raw).RootElement).ToList();
            Assert.Equal(bindings, Bindings(rawBindings));
        }
    }

    [Fact]
    public void Metadata_ListsTheIngestRuleManagementAndSweepFunctions()
    {
        using var metadata = FunctionAppArtifacts.Load("functions.metadata");
        var names = metadata.RootElement.EnumerateArray().Select(f => f.GetProperty("name").GetString()).Order(StringComparer.Ordinal);
        Assert.Equal(
            ["CheckSandboxHeartbeats", "DeleteResponsePolicy", "DeleteRule", "DisableRule", "DispatchNotification", "EnableRule", "EscalateAlerts", "GetIncident", "GetRule", "GetRuleHistory", "GetSandboxTimeline", "IngestFirewallLogs", "IngestSandboxTelemetry", "ListAudit", "ListIncidents", "ListResponsePolicy", "ListRules", "PutResponsePolicy", "PutRule", "RecordCommandOutcome", "SendSuppressedDigest", "SetIncidentStatus", "ShowAlertAction", "SweepCorrelationState", "TakeAlertAction", "TestRule", "ValidateRule"],
            names);
    }

    [Theory]
    [InlineData("DispatchNotification", "notifications")]
    [InlineData("RecordCommandOutcome", "sandbox-command-results")]
    public void Queue_functions_are_triggered_by_their_queue_of_the_alert_storage(string functionName, string queueName)
    {
        using var metadata = FunctionAppArtifacts.Load("functions.metadata");
        var function = Assert.Single(metadata.RootElement.EnumerateArray(), f => f.GetProperty("name").GetString() == functionName);
        var binding = Assert.Single(function.GetProperty("bindings").EnumerateArray());

        Assert.Equal($"AlertPipeline.Functions.Functions.{functionName}.RunAsync", function.GetProperty("entryPoint").GetString());
        Assert.Equal("queueTrigger", binding.GetProperty("type").GetString());
        Assert.Equal(queueName, binding.GetProperty("queueName").GetString());
        Assert.Equal("AlertStorage", binding.GetProperty("connection").GetString());
        Assert.Equal("String", binding.GetProperty("dataType").GetString());
        Assert.False(function.TryGetProperty("retry", out _));
    }

    [Theory]
    [InlineData("ListRules", "ListAsync", "get", "rules", "Function")]
    [InlineData("GetRule", "GetAsync", "get", "rules/{pack}/{id}", "Function")]
    [InlineData("GetRuleHistory", "HistoryAsync", "get", "rules/{pack}/{id}/history", "Function")]
    [InlineData("ValidateRule", "ValidateAsync", "post", "rules/validate", "Function")]
    [InlineData("TestRule", "TestAsync", "post", "rules/test", "Function")]
    [InlineData("PutRule", "PutAsync", "put", "rules/{pack}/{id}", "Admin")]
    [InlineData("DeleteRule", "DeleteAsync", "delete", "rules/{pack}/{id}", "Admin")]
    [InlineData("EnableRule", "EnableAsync", "post", "rules/{pack}/{id}/enable", "Admin")]
    [InlineData("DisableRule", "DisableAsync", "post", "rules/{pack}/{id}/disable", "Admin")]
    public void RuleFunction_HasItsRouteMethodAndAuthLevel(string functionName, string method, string httpMethod, string route, string authLevel)
    {
        using var metadata = FunctionAppArtifacts.Load("functions.metadata");
        var function = Assert.Single(metadata.RootElement.EnumerateArray(), f => f.GetProperty("name").GetString() == functionName);

        Assert.Equal($"AlertPipeline.Functions.Functions.RuleFunctions.{method}", function.GetProperty("entryPoint").GetString());
        var bindings = function.GetProperty("bindings").EnumerateArray().ToList();
        Assert.Equal(2, bindings.Count);
        var trigger = Assert.Single(bindings, b => b.GetProperty("type").GetString() == "httpTrigger");
        Assert.Equal("In", trigger.GetProperty("direction").GetString());
        Assert.Equal(route, trigger.GetProperty("route").GetString());
        Assert.Equal(authLevel, trigger.GetProperty("authLevel").GetString());
        Assert.Equal([httpMethod], trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
        var output = Assert.Single(bindings, b => b.GetProperty("type").GetString() == "http");
        Assert.Equal(("$return", "Out"), (output.GetProperty("name").GetString(), output.GetProperty("direction").GetString()));
    }

    [Fact]
    public void The_audit_is_read_with_a_function_key_on_get_audit()
    {
        using var metadata = FunctionAppArtifacts.Load("functions.metadata");
        var function = Assert.Single(metadata.RootElement.EnumerateArray(), f => f.GetProperty("name").GetString() == "ListAudit");
        var trigger = Assert.Single(function.GetProperty("bindings").EnumerateArray(), b => b.GetProperty("type").GetString() == "httpTrigger");

        Assert.Equal("AlertPipeline.Functions.Functions.AuditFunctions.ListAsync", function.GetProperty("entryPoint").GetString());
        Assert.Equal(("audit", "Function"), (trigger.GetProperty("route").GetString(), trigger.GetProperty("authLevel").GetString()));
        Assert.Equal(["get"], trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
    }

    [Theory]
    [InlineData("ListIncidents", "ListAsync", "get", "incidents", "Function")]
    [InlineData("GetIncident", "GetAsync", "get", "incidents/{id}", "Function")]
    [InlineData("GetSandboxTimeline", "TimelineAsync", "get", "sandboxes/{id}/timeline", "Function")]
    [InlineData("SetIncidentStatus", "SetStatusAsync", "post", "incidents/{id}/status", "Admin")]
    public void Incidents_are_read_with_a_function_key_and_their_status_moved_with_the_admin_key(
        string functionName, string method, string httpMethod, string route, string authLevel)
    {
        using var metadata = FunctionAppArtifacts.Load("functions.metadata");
        var function = Assert.Single(metadata.RootElement.EnumerateArray(), f => f.GetProperty("name").GetString() == functionName);
        var trigger = Assert.Single(function.GetProperty("bindings").EnumerateArray(), b => b.GetProperty("type").GetString() == "httpTrigger");

        Assert.Equal($"AlertPipeline.Functions.Functions.IncidentFunctions.{method}", function.GetProperty("entryPoint").GetString());
        Assert.Equal((route, authLevel), (trigger.GetProperty("route").GetString(), trigger.GetProperty("authLevel").GetString()));
        Assert.Equal([httpMethod], trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
    }

    [Fact]
    public void Every_rule_write_needs_the_admin_key()
    {
        using var metadata = FunctionAppArtifacts.Load("functions.metadata");
        var triggers = metadata.RootElement.EnumerateArray()
            .SelectMany(f => f.GetProperty("bindings").EnumerateArray())
            .Where(b => b.GetProperty("type").GetString() == "httpTrigger" && b.GetProperty("route").GetString()!.StartsWith("rules", StringComparison.Ordinal))
            .ToList();

        Assert.NotEmpty(triggers);
        foreach (var trigger in triggers)
        {
            var route = trigger.GetProperty("route").GetString()!;
            var methods = trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()).ToList();
            var changesRules = methods.Any(m => m is "put" or "delete") || route.EndsWith("/enable", StringComparison.Ordinal) || route.EndsWith("/disable", StringComparison.Ordinal);
            Assert.True(trigger.GetProperty("authLevel").GetString() == (changesRules ? "Admin" : "Function"), route);
            Assert.NotEqual("Anonymous", trigger.GetProperty("authLevel").GetString());
        }
    }

    [Fact]
    public void Only_the_signed_action_links_are_anonymous_and_only_a_post_acts()
    {
        using var metadata = FunctionAppArtifacts.Load("functions.metadata");
        var anonymous = metadata.RootElement.EnumerateArray()
            .Select(f => (Name: f.GetProperty("name").GetString(), Trigger: f.GetProperty("bindings").EnumerateArray().First()))
            .Where(f => f.Trigger.GetProperty("type").GetString() == "httpTrigger" && f.Trigger.GetProperty("authLevel").GetString() == "Anonymous")
            .Select(f => (f.Name, Route: f.Trigger.GetProperty("route").GetString(), Methods: string.Join(",", f.Trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()))))
            .OrderBy(f => f.Name, StringComparer.Ordinal)
            .ToList();

        Assert.Equal([("ShowAlertAction", "actions/{alertId}/{action}", "get"), ("TakeAlertAction", "actions/{alertId}/{action}", "post")], anonymous);
    }

    [Fact]
    public void Escalation_runs_every_five_minutes_on_a_timer()
    {
        using var metadata = FunctionAppArtifacts.Load("functions.metadata");
        var function = Assert.Single(metadata.RootElement.EnumerateArray(), f => f.GetProperty("name").GetString() == "EscalateAlerts");
        var binding = Assert.Single(function.GetProperty("bindings").EnumerateArray());

        Assert.Equal("timerTrigger", binding.GetProperty("type").GetString());
        Assert.Equal("0 */5 * * * *", binding.GetProperty("schedule").GetString());
    }

    [Fact]
    public void The_correlation_sweep_runs_every_minute_on_a_timer()
    {
        using var metadata = FunctionAppArtifacts.Load("functions.metadata");
        var function = Assert.Single(metadata.RootElement.EnumerateArray(), f => f.GetProperty("name").GetString() == "SweepCorrelationState");
        var binding = Assert.Single(function.GetProperty("bindings").EnumerateArray());

        Assert.Equal("timerTrigger", binding.GetProperty("type").GetString());
        Assert.Equal("0 */1 * * * *", binding.GetProperty("schedule").GetString());
    }

    [Fact]
    public void The_heartbeat_check_runs_every_minute_on_a_timer()
    {
        using var metadata = FunctionAppArtifacts.Load("functions.metadata");
        var function = Assert.Single(metadata.RootElement.EnumerateArray(), f => f.GetProperty("name").GetString() == "CheckSandboxHeartbeats");
        var binding = Assert.Single(function.GetProperty("bindings").EnumerateArray());

        Assert.Equal("timerTrigger", binding.GetProperty("type").GetString());
        Assert.Equal("30 */1 * * * *", binding.GetProperty("schedule").GetString());
    }

    [Fact]
    public void The_suppressed_digest_runs_every_ten_minutes_on_a_timer()
    {
        using var metadata = FunctionAppArtifacts.Load("functions.metadata");
        var function = Assert.Single(metadata.RootElement.EnumerateArray(), f => f.GetProperty("name").GetString() == "SendSuppressedDigest");
        var binding = Assert.Single(function.GetProperty("bindings").EnumerateArray());

        Assert.Equal("timerTrigger", binding.GetProperty("type").GetString());
        Assert.Equal("0 */10 * * * *", binding.GetProperty("schedule").GetString());
    }

    /// <summary>Each binding's string properties, in a comparable order.</summary>
    private static List<string> Bindings(IEnumerable<JsonElement> bindings) =>
    [
        .. bindings.Select(b => string.Join(";", b.EnumerateObject()
            .Where(p => p.Value.ValueKind == JsonValueKind.String)
            .Select(p => $"{p.Name}={p.Value.GetString()}")
            .Order(StringComparer.Ordinal))),
    ];
}
