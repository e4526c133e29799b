using System.Text.Json;

namespace AlertPipeline.Functions.Tests;

/// <summary>
/// The functions.metadata the Functions SDK generated from the attributes: what the host indexes. A wrong binding
/// property here means a function that never triggers, or one that triggers per event instead of per batch.
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
    public void Metadata_ListsOnlyTheTwoIngestFunctions()
    {
        using var metadata = FunctionAppArtifacts.Load("functions.metadata");
        var names = metadata.RootElement.EnumerateArray().Select(f => f.GetProperty("name").GetString()).Order(StringComparer.Ordinal);
        Assert.Equal(["IngestFirewallLogs", "IngestSandboxTelemetry"], names);
    }
}
