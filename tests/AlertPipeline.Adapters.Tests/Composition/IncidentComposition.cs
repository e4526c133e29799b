using System.Text.Json;
using AlertPipeline.Adapters.Respond;
using AlertPipeline.Adapters.Storage;
using AlertPipeline.Adapters.Tests.Storage;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Enrich;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Channels;
using AlertPipeline.Core.Respond.Incidents;
using AlertPipeline.Core.Respond.Outbox;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AlertPipeline.Adapters.Tests.Composition;

/// <summary>
/// The one composition (<c>AddAlertPipeline</c> with storage settings on Azurite) as the incident redelivery tests use
/// it: alerts and incidents in their own Table Storage tables, lineage and correlation state in the default ones, and
/// only the test's rules, inventory and indicators (the shared Azurite holds other tests' rows). Email, Teams and
/// shutdown are recording channels behind the inline outbox, so what was sent can be compared across deliveries.
/// </summary>
internal static class IncidentComposition
{
    /// <summary>Builds the composition; every notification sent is appended to <paramref name="sent"/>.</summary>
    public static ServiceProvider Compose(
        AzuriteFixture azurite, string alertsTable, string incidentsTable, TimeProvider time, IEnumerable<RuleRecord> rules,
        IEnumerable<SandboxRecord> inventory, List<(string Channel, string AlertId)> sent, IEnumerable<ThreatIndicator>? indicators = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton(time);

        var ruleStore = new InMemoryRuleStore();
        foreach (var rule in rules)
        {
            ruleStore.UpsertAsync(rule, CancellationToken.None).GetAwaiter().GetResult(); // in memory: completes at once
        }

        services.AddSingleton<IRuleStore>(ruleStore);
        services.AddSingleton<ISandboxInventory>(new InMemorySandboxInventory(inventory));
        services.AddSingleton<IIndicatorStore>(new InMemoryIndicatorStore(indicators ?? []));
        services.AddSingleton<IAlertStore>(new TableAlertStore(azurite.TableService, alertsTable));
        services.AddSingleton<IIncidentStore>(new TableIncidentStore(azurite.TableService, incidentsTable));
        services.AddSingleton<INotificationOutbox>(sp => new InlineNotificationOutbox(sp.GetRequiredService<NotificationDispatcher>));
        foreach (var name in new[] { "email", "teams", "shutdown" })
        {
            services.AddSingleton<INotificationChannel>(new Recording(name, sent));
        }

        services.AddAlertPipeline(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [StorageNames.Setting] = azurite.ConnectionString,
        }).Build());
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
    }

    /// <summary>
    /// Incident count, and per incident of the given sandboxes its alerts, level, techniques, notifications, commands,
    /// status and whole timeline (kind, time, summary, key, alert, level), as comparable text.
    /// </summary>
    public static async Task<List<string>> SnapshotAsync(IIncidentStore store, params string[] sandboxes)
    {
        var all = await store.ListAsync(new IncidentQuery { Max = 500 }, CancellationToken.None);
        return [.. all.Where(i => sandboxes.Contains(i.SandboxId, StringComparer.Ordinal))
            .OrderBy(i => i.IncidentId, StringComparer.Ordinal)
            .Select(i => JsonSerializer.Serialize(new { i.IncidentId, i.AlertIds, i.Level, i.LevelReasons, i.Techniques, i.Notifications, i.Commands, i.Timeline, i.Status }, AlertJson.Options))];
    }

    /// <summary>A channel that only records what it was asked to send.</summary>
    private sealed class Recording(string name, List<(string Channel, string AlertId)> sent) : INotificationChannel
    {
        public string Name => name;

        public Task<ChannelResult> SendAsync(Alert alert, CancellationToken cancellationToken)
        {
            lock (sent)
            {
                sent.Add((name, alert.AlertId));
            }

            return Task.FromResult(ChannelResult.Sent("recorded"));
        }
    }
}
