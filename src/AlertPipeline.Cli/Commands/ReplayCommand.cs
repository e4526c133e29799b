using System.Security.Cryptography;
using System.Text.Json;
using AlertPipeline.Adapters;
using AlertPipeline.Cli.Replay;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Enrich;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Pipeline;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Channels;
using AlertPipeline.Core.Respond.Incidents;
using AlertPipeline.Core.Respond.Outbox;
using AlertPipeline.Core.Respond.Shutdown;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace AlertPipeline.Cli.Commands;

/// <summary>
/// <c>alertpipe replay &lt;file&gt;...</c>: runs recorded telemetry through the same pipeline the Function app runs.
/// Default: in-memory stores seeded from <c>rules/</c>, and every action rendered and printed instead of sent.
/// </summary>
internal sealed class ReplayCommand(TextWriter stdout, TextWriter stderr, IReadOnlyDictionary<string, string?>? environment = null)
{
    public const string Usage = """
        usage: alertpipe replay <file>... [--rules <dir>] [--inventory <file>] [--indicators <file>] [--storage <connection string>] [--send] [--output table|json]
          <file>        telemetry: .jsonl/.ndjson = one message per line; other files = one message each
          --rules       Sigma rule directory to seed the in-memory rule store (default: ./rules)
          --inventory   sandbox inventory JSON (array of sandbox records)
          --indicators  threat indicators, JSON array or CSV (docs/indicators.md)
          --storage     use Table/Queue Storage (Azurite or Azure) for rules, alerts, dead letters, commands
          --send        really send email, Teams cards and shutdown commands (settings from the environment)
          --output      table (default) or json: one JSON object per alert per line, then one per incident
                        (told apart by incidentId; docs/incidents.md)
        """;

    private const int MessagesPerBatch = 256;

    public async Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var parsed = new CliArguments(args, new HashSet<string> { "rules", "inventory", "indicators", "storage", "output" }, new HashSet<string> { "send" });
        if (parsed.Positionals.Count == 0)
        {
            throw new UsageException("replay needs at least one telemetry file");
        }

        var output = parsed.Value("output") ?? "table";
        if (output is not ("table" or "json"))
        {
            throw new UsageException($"--output must be table or json, not '{output}'");
        }

        var storage = parsed.Value("storage");
        var send = parsed.Has("send");
        var time = TimeProvider.System;
        var now = time.GetUtcNow();

        // Read everything first: an unreadable file is a usage error before anything runs.
        var messages = parsed.Positionals.SelectMany(path => ReplayFiles.Read(path, now)).ToList();
        var inventory = parsed.Value("inventory") is { } inventoryPath ? ImportFile.Sandboxes(inventoryPath, stderr, out _) : null;
        var indicators = parsed.Value("indicators") is { } indicatorsPath ? ImportFile.Indicators(indicatorsPath, stderr, out _) : null;
        IReadOnlyList<RuleFile>? ruleFiles = null;
        if (storage is null || parsed.Has("rules"))
        {
            var rulesDir = parsed.Value("rules") ?? "rules";
            if (!Directory.Exists(rulesDir))
            {
                throw new UsageException($"rules directory not found: {rulesDir} (run from the repository root or pass --rules)");
            }

            ruleFiles = RulePack.Load([rulesDir], null, RuleMode.Enforce, time);
        }

        var previews = new List<Preview>();
        await using var services = BuildServices(storage, send, inventory, indicators, previews, time);

        if (ruleFiles is not null)
        {
            var store = services.GetRequiredService<IRuleStore>();
            foreach (var file in ruleFiles)
            {
                if (file.Record is not null)
                {
                    await store.UpsertAsync(file.Record, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await stderr.WriteLineAsync($"alertpipe: rule skipped: {file.Path}: {file.Error!.Message}").ConfigureAwait(false);
                }
            }
        }

        var pipeline = services.GetRequiredService<TelemetryPipeline>();
        var touched = new List<string>();
        var rejected = new List<RejectedEvent>();
        var accepted = 0;
        foreach (var chunk in messages.Chunk(MessagesPerBatch))
        {
            var result = await pipeline.ProcessAsync(chunk, cancellationToken).ConfigureAwait(false);
            accepted += result.EventsAccepted;
            rejected.AddRange(result.Rejected);
            touched.AddRange(result.Alerts.Select(a => a.AlertId));
        }

        var alertStore = services.GetRequiredService<IAlertStore>();
        var alerts = new List<Alert>();
        foreach (var id in touched.Distinct(StringComparer.Ordinal))
        {
            if (await alertStore.GetAsync(id, cancellationToken).ConfigureAwait(false) is { } alert)
            {
                alerts.Add(alert);
            }
        }

        alerts.Sort((a, b) => a.FirstSeen != b.FirstSeen ? a.FirstSeen.CompareTo(b.FirstSeen) : string.CompareOrdinal(a.RuleId, b.RuleId));
        var incidents = await IncidentsOfAsync(services.GetRequiredService<IIncidentStore>(), alerts, cancellationToken).ConfigureAwait(false);

        if (output == "json")
        {
            foreach (var alert in alerts)
            {
                await stdout.WriteLineAsync(JsonSerializer.Serialize(AlertLine.From(alert), AlertJson.Options)).ConfigureAwait(false);
            }

            await WriteIncidentLinesAsync(stdout, incidents).ConfigureAwait(false);
            await WritePreviewsAsync(stderr, previews).ConfigureAwait(false);
        }
        else
        {
            await AlertTable.WriteAsync(stdout, alerts).ConfigureAwait(false);
            await WriteIncidentStoriesAsync(stdout, incidents).ConfigureAwait(false);
            await WritePreviewsAsync(stdout, previews).ConfigureAwait(false);
        }

        await WriteSummaryAsync(accepted, rejected, alerts, incidents).ConfigureAwait(false);
        return 0;
    }

    private ServiceProvider BuildServices(
        string? storage, bool send, IReadOnlyList<SandboxRecord>? inventory, IReadOnlyList<ThreatIndicator>? indicators, List<Preview> previews, TimeProvider time)
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (send)
        {
            // Only a real send reads channel secrets from the environment (SendGrid__ApiKey, Teams__WebhookUrl, Shutdown__SigningKey, ...),
            // the same settings the Function App reads.
            foreach (var (key, value) in environment ?? ReadEnvironment())
            {
                settings[key.Replace("__", ":", StringComparison.Ordinal)] = value;
            }
        }

        if (storage is not null)
        {
            settings["AlertStorage"] = storage;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging
            .SetMinimumLevel(LogLevel.Error)
            .AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace));
        services.AddSingleton(time);
        if (inventory is not null)
        {
            services.AddSingleton<ISandboxInventory>(new InMemorySandboxInventory(inventory));
        }

        if (indicators is not null)
        {
            services.AddSingleton<IIndicatorStore>(new InMemoryIndicatorStore(indicators));
        }

        if (!send)
        {
            AddPreviewChannels(services, previews, time);
        }

        // Replay sends (or previews) in its own run even with --storage: nothing else would read the notification queue.
        services.AddSingleton<INotificationOutbox>(sp => new InlineNotificationOutbox(sp.GetRequiredService<NotificationDispatcher>));

        services.AddAlertPipeline(configuration);
        return services.BuildServiceProvider();
    }

    /// <summary>
    /// The incidents the replayed alerts joined, in order of first evidence: those the alerts name, and those of the
    /// alerts' sandboxes that hold one of the alerts (with --storage a sandbox may have older incidents; they are not shown).
    /// </summary>
    internal static async Task<IReadOnlyList<Incident>> IncidentsOfAsync(IIncidentStore store, IReadOnlyList<Alert> alerts, CancellationToken cancellationToken)
    {
        var alertIds = alerts.Select(a => a.AlertId).ToHashSet(StringComparer.Ordinal);
        var found = new Dictionary<string, Incident>(StringComparer.Ordinal);
        foreach (var sandbox in alerts.Select(a => a.SandboxId).Distinct(StringComparer.Ordinal))
        {
            foreach (var incident in await store.ListAsync(new IncidentQuery { SandboxId = sandbox, Max = 1000 }, cancellationToken).ConfigureAwait(false))
            {
                if (incident.AlertIds.Any(alertIds.Contains))
                {
                    found.TryAdd(incident.IncidentId, incident);
                }
            }
        }

        foreach (var id in alerts.Select(a => a.IncidentId).OfType<string>().Distinct(StringComparer.Ordinal))
        {
            if (!found.ContainsKey(id) && await store.GetAsync(id, cancellationToken).ConfigureAwait(false) is { } incident)
            {
                found.Add(id, incident);
            }
        }

        return [.. found.Values.OrderBy(i => i.FirstSeen).ThenBy(i => i.IncidentId, StringComparer.Ordinal)];
    }

    /// <summary>One JSON object per incident per line, after the alert lines.</summary>
    internal static async Task WriteIncidentLinesAsync(TextWriter writer, IReadOnlyList<Incident> incidents)
    {
        foreach (var incident in incidents)
        {
            await writer.WriteLineAsync(JsonSerializer.Serialize(IncidentLine.From(incident), AlertJson.Options)).ConfigureAwait(false);
        }
    }

    /// <summary>A block per incident, the same story <c>incidents show</c> prints.</summary>
    internal static async Task WriteIncidentStoriesAsync(TextWriter writer, IReadOnlyList<Incident> incidents)
    {
        foreach (var incident in incidents)
        {
            await writer.WriteLineAsync().ConfigureAwait(false);
            await IncidentStory.WriteAsync(writer, incident).ConfigureAwait(false);
        }
    }

    private static void AddPreviewChannels(ServiceCollection services, List<Preview> previews, TimeProvider time)
    {
        // The previews read the alert's incident as the real channels do, so they show the incident banner.
        services.AddSingleton<INotificationChannel>(sp => new PreviewChannel("email", async (alert, ct) =>
            (ChannelResult.Sent(), (string?)MessagePreviews.Email(alert, await MessagePreviews.IncidentOfAsync(sp, alert, ct).ConfigureAwait(false))), previews));
        services.AddSingleton<INotificationChannel>(sp => new PreviewChannel("teams", async (alert, ct) =>
            (ChannelResult.Sent(), (string?)MessagePreviews.TeamsCard(alert, await MessagePreviews.IncidentOfAsync(sp, alert, ct).ConfigureAwait(false))), previews));

        // The real shutdown channel, guardrails and signing included, over an in-memory queue and a throwaway key.
        services.AddSingleton<INotificationChannel>(sp =>
        {
            var queue = new InMemoryShutdownCommandQueue();
            var signer = new CommandSigner(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), "replay-ephemeral", time);
            var shutdown = new ShutdownChannel(queue, signer, sp.GetRequiredService<SandboxSnapshotProvider>(), sp.GetRequiredService<ShutdownOptions>(), time);
            return new PreviewChannel("shutdown", async (alert, ct) =>
            {
                var result = await shutdown.SendAsync(alert, ct).ConfigureAwait(false);
                if (result.Status != ActionStatus.Sent)
                {
                    return (result, null);
                }

                var (queueName, message) = queue.Messages[^1];
                return (result, $"queue {queueName}: {message}");
            }, previews);
        });
    }

    private static Dictionary<string, string?> ReadEnvironment()
    {
        var map = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            map[(string)entry.Key] = entry.Value as string;
        }

        return map;
    }

    private static async Task WritePreviewsAsync(TextWriter writer, List<Preview> previews)
    {
        if (previews.Count == 0)
        {
            return;
        }

        await writer.WriteLineAsync().ConfigureAwait(false);
        await writer.WriteLineAsync("Would send (replay without --send; nothing left this machine):").ConfigureAwait(false);
        foreach (var preview in previews)
        {
            await writer.WriteLineAsync($"--- {preview.Channel} for alert {preview.AlertId}").ConfigureAwait(false);
            await writer.WriteLineAsync(preview.Text).ConfigureAwait(false);
        }
    }

    private async Task WriteSummaryAsync(int accepted, List<RejectedEvent> rejected, List<Alert> alerts, IReadOnlyList<Incident> incidents)
    {
        await stderr.WriteLineAsync($"events read: {accepted + rejected.Count} (accepted {accepted}, rejected {rejected.Count})").ConfigureAwait(false);
        foreach (var group in rejected.GroupBy(r => r.Reason).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            await stderr.WriteLineAsync($"  rejected {group.Key}: {group.Count()} (first at {group.First().Position})").ConfigureAwait(false);
        }

        var byLevel = string.Join(", ", Enum.GetValues<AlertLevel>().Reverse()
            .Select(level => (level, count: alerts.Count(a => a.Level == level)))
            .Where(x => x.count > 0)
            .Select(x => $"{x.level.ToSigma()} {x.count}"));
        await stderr.WriteLineAsync($"alerts: {alerts.Count}{(byLevel.Length > 0 ? " (" + byLevel + ")" : string.Empty)}").ConfigureAwait(false);
        await stderr.WriteLineAsync($"incidents: {incidents.Count}").ConfigureAwait(false);
    }
}
