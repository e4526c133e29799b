using System.Text;
using AlertPipeline.Adapters.Enrich;
using AlertPipeline.Adapters.Storage;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Enrich;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Pipeline;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AlertPipeline.Adapters.Tests.Composition;

/// <summary>The composition wires the indicator store into the pipeline: Table storage when configured, else memory.</summary>
public sealed class IndicatorCompositionTests
{
    private const string RuleId = "0b6c0a4e-51c4-4d0e-9a55-2f3e1c6d7a01";
    private const string PoolRule = $"""
        title: Connection to a listed mining pool
        id: {RuleId}
        logsource:
          category: network_connection
        detection:
          selection:
            threat.indicator.kind: mining-pool
          condition: selection
        level: high
        """;

    private static ServiceProvider Compose(Dictionary<string, string?> settings, Action<IServiceCollection>? before = null)
    {
        var services = new ServiceCollection();
        before?.Invoke(services);
        services.AddAlertPipeline(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
    }

    [Fact]
    public void Storage_settings_select_the_table_store_and_no_settings_the_in_memory_one()
    {
        using var azure = Compose(new() { [StorageNames.Setting] = "UseDevelopmentStorage=true" });
        using var embedded = Compose([]);

        Assert.IsType<TableIndicatorStore>(azure.GetRequiredService<IIndicatorStore>());
        Assert.IsType<InMemoryIndicatorStore>(embedded.GetRequiredService<IIndicatorStore>());
    }

    [Fact]
    public async Task An_event_to_a_listed_address_raises_the_rule_that_reads_the_indicator_fields()
    {
        using var provider = Compose([], services => services.AddSingleton<IIndicatorStore>(new InMemoryIndicatorStore(
            [new ThreatIndicator { Value = "198.51.100.0/24", Source = "pool-feed", Kind = "mining-pool", Description = "stratum" }])));
        await provider.GetRequiredService<IRuleStore>().UpsertAsync(
            new RuleRecord("composition", RuleId, "Connection to a listed mining pool", "high", true, RuleMode.Enforce, PoolRule, DateTimeOffset.UnixEpoch),
            CancellationToken.None);
        const string body = """{"@timestamp":"2025-11-14T03:14:51Z","event":{"category":"network","type":"connection"},"sandbox":{"id":"sbx-1"},"destination":{"ip":"198.51.100.45","port":3333}}""";

        var result = await provider.GetRequiredService<TelemetryPipeline>().ProcessAsync(
            [new TelemetryMessage(Encoding.UTF8.GetBytes(body), "sandbox-telemetry/0", 1, DateTimeOffset.UnixEpoch)], CancellationToken.None);

        var alert = Assert.Single(result.Alerts);
        Assert.Equal(RuleId, alert.RuleId);
        Assert.Equal("mining-pool", alert.Evidence["threat.indicator.kind"]);
    }
}
