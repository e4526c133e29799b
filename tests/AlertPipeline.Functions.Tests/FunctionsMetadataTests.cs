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
    public void Metadata_ListsTheIngestFunctionsAndTheCorrelationSweep()
    {
        using var metadata = FunctionAppArtifacts.Load("functions.metadata");
        var names = metadata.RootElement.EnumerateArray().Select(f => f.GetProperty("name").GetString()).Order(StringComparer.Ordinal);
        Assert.Equal(["IngestFirewallLogs", "IngestSandboxTelemetry", "SweepCorrelationState"], names);
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

    /// <summary>Each binding's string properties, in a comparable order.</summary>
    private static List<string> Bindings(IEnumerable<JsonElement> bindings) =>
    [
        .. bindings.Select(b => string.Join(";", b.EnumerateObject()
            .Where(p => p.Value.ValueKind == JsonValueKind.String)
            .Select(p => $"{p.Name}={p.Value.GetString()}")
            .Order(StringComparer.Ordinal))),
    ];
}
