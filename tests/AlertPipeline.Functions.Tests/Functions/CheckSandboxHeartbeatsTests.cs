using System.Text;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Detect.Heartbeat;
using AlertPipeline.Core.Enrich;
using AlertPipeline.Core.Respond;
using AlertPipeline.Functions.EventHubs;
using AlertPipeline.Functions.Functions;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AlertPipeline.Functions.Tests.Functions;

/// <summary>
/// The heartbeat timer over the app's own composition with in-memory stores: telemetry and firewall batches through the
/// ingest functions as the host delivers them, then the timer function on a fake clock.
/// </summary>
public sealed class CheckSandboxHeartbeatsTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2025, 11, 14, 3, 20, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _clock = new(T0);
    private readonly ServiceProvider _services;

    public CheckSandboxHeartbeatsTests()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["SandboxTelemetryHubName"] = "sandbox-telemetry",
                ["FirewallLogsHubName"] = "firewall-logs",
                ["Heartbeat:SilenceAfter"] = "00:03:00",
            })
            .Build();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(_clock);
        services.AddSingleton<ISandboxInventory>(new InMemorySandboxInventory(
        [
            new SandboxRecord { Id = "sbx-7", Addresses = [new SandboxAddress("10.0.1.5", T0.AddDays(-1))] },
            new SandboxRecord { Id = "sbx-9", Addresses = [new SandboxAddress("10.0.1.9", T0.AddDays(-1))] },
        ]));
        FunctionsComposition.Configure(services, configuration);
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    public void Dispose() => _services.Dispose();

    [Fact]
    public async Task The_timer_alerts_on_the_sandbox_that_went_silent_while_its_traffic_continued_and_not_on_the_stopped_one()
    {
        // Both sandboxes report at T0; then sbx-7's traffic continues for four minutes while sbx-9 goes quiet entirely.
        await IngestAsync<IngestSandboxTelemetry>("sandbox-telemetry", 10, Telemetry("sbx-7"), Telemetry("sbx-9"));
        for (var minute = 1; minute <= 4; minute++)
        {
            _clock.Advance(TimeSpan.FromMinutes(1));
            await IngestAsync<IngestFirewallLogs>("firewall-logs", 100 + minute, Firewall("10.0.1.5"));
        }

        var timer = ActivatorUtilities.CreateInstance<CheckSandboxHeartbeats>(_services);
        await timer.RunAsync(new TimerInfo(), CancellationToken.None);
        _clock.Advance(TimeSpan.FromMinutes(1));
        await timer.RunAsync(new TimerInfo(), CancellationToken.None);

        var alert = Assert.Single(await _services.GetRequiredService<IAlertStore>().ListAsync(100, CancellationToken.None));
        Assert.Equal(HeartbeatCheck.RuleId, alert.RuleId);
        Assert.Equal("sbx-7", alert.SandboxId);
        Assert.Equal(AlertLevel.High, alert.Level);
        Assert.Equal(4, alert.EventCount);
        Assert.Equal("4", alert.Evidence["heartbeat.network_events"]);
    }

    private async Task IngestAsync<T>(string hub, long sequence, params string[] bodies)
        where T : class
    {
        // Enqueued now, as the host reports it; the check goes by these times, not by the events' own.
        var now = _clock.GetUtcNow().ToString("O");
        var bindingData = new Dictionary<string, object?>
        {
            [EventHubBatch.PartitionContextKey] = $$"""{"EventHubName":"{{hub}}","PartitionId":"0"}""",
            [EventHubBatch.SequenceNumberArrayKey] = "[" + string.Join(",", bodies.Select((_, i) => sequence + i)) + "]",
            [EventHubBatch.EnqueuedTimeUtcArrayKey] = "[" + string.Join(",", bodies.Select(_ => $"\"{now}\"")) + "]",
        };
        var function = ActivatorUtilities.CreateInstance<T>(_services);
        var context = new TestFunctionContext(_services, bindingData);
        byte[][] payloads = [.. bodies.Select(Encoding.UTF8.GetBytes)];
        await (function switch
        {
            IngestSandboxTelemetry f => f.RunAsync(payloads, context, CancellationToken.None),
            IngestFirewallLogs f => f.RunAsync(payloads, context, CancellationToken.None),
            _ => throw new ArgumentException(typeof(T).Name),
        });
    }

    private static string Telemetry(string sandbox) =>
        $$$"""{"@timestamp":"2025-11-14T03:20:00Z","event":{"category":"process","type":"start","dataset":"sandbox.process"},"sandbox":{"id":"{{{sandbox}}}"},"process":{"pid":1,"name":"python"}}""";

    private string Firewall(string sourceIp) =>
        $$$"""{"records":[{"category":"AzureFirewallNetworkRule","time":"{{{_clock.GetUtcNow():O}}}","resourceId":"/SUBSCRIPTIONS/0/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.NETWORK/AZUREFIREWALLS/FW","operationName":"AzureFirewallNetworkRuleLog","properties":{"msg":"TCP request from {{{sourceIp}}}:43122 to 203.0.113.7:3333. Action: Deny."}}]}""";
}
