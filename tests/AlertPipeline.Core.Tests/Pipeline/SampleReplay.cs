using System.Text;
using System.Text.Json;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Detect.Correlation;
using AlertPipeline.Core.Enrich;
using AlertPipeline.Core.Enrich.Attribution;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Ingest;
using AlertPipeline.Core.Pipeline;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Incidents;
using AlertPipeline.Core.Tests.Detect;

namespace AlertPipeline.Core.Tests.Pipeline;

/// <summary>
/// One bundled sample (samples/&lt;name&gt;) replayed through the real pipeline, in memory, with the bundled rule pack,
/// lineage and the incident tracker: each stream is one batch, the sandbox's own telemetry first (as the firewall's
/// diagnostic logs arrive after it in production), then the firewall, then the hub's sensors.
/// </summary>
internal sealed record SampleReplay(
    string Folder,
    IReadOnlyList<Alert> Alerts,
    IReadOnlyList<RejectedEvent> Rejected,
    IReadOnlyList<RejectedEvent> DeadLetters,
    IReadOnlyDictionary<string, string> RuleIdByFile,
    IReadOnlyDictionary<string, int> AcceptedByStream,
    IReadOnlyDictionary<string, int> MessagesByStream,
    ILineageStore Lineage,
    SandboxSnapshot Sandboxes,
    IIncidentStore Incidents)
{
    public const string SandboxStream = "sandbox-telemetry.jsonl";
    public const string FirewallStream = "firewall.jsonl";
    public const string SensorsStream = "sensors.jsonl";

    /// <summary>Replays the sample's three streams, with its inventory and (when the sample has one) its indicators.</summary>
    public static async Task<SampleReplay> RunAsync(string sample)
    {
        var dir = Path.Combine(RulePackTests.RepoRoot(), "samples", sample);
        var records = JsonSerializer.Deserialize<List<SandboxRecord>>(
            await File.ReadAllTextAsync(Path.Combine(dir, "inventory.json")), new JsonSerializerOptions(JsonSerializerDefaults.Web))!;

        var store = new InMemoryRuleStore();
        var ruleIdByFile = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (file, record) in RulePackTests.LoadPack())
        {
            await store.UpsertAsync(record, CancellationToken.None);
            ruleIdByFile[file] = record.Id;
        }

        var alertStore = new InMemoryAlertStore();
        var incidents = new InMemoryIncidentStore();
        var deadLetters = new InMemoryDeadLetterStore();
        var lineage = new InMemoryLineageStore();
        var sandboxes = new SandboxSnapshotProvider(new InMemorySandboxInventory(records), TimeSpan.FromMinutes(1));
        var indicatorFile = Path.Combine(dir, "indicators.csv");
        var pipeline = new TelemetryPipeline(
            new TelemetryIngestor(),
            sandboxes,
            new RuleSetProvider(store, TimeSpan.FromMinutes(1)),
            new AlertResponder(alertStore, [], ResponsePolicy.Default) { Incidents = new IncidentTracker(incidents) },
            deadLetters,
            new PipelineOptions(),
            new CorrelationEngine(new InMemoryCorrelationStateStore()))
        {
            Indicators = File.Exists(indicatorFile)
                ? new IndicatorSetProvider(
                    new InMemoryIndicatorStore(IndicatorFile.Parse(await File.ReadAllBytesAsync(indicatorFile)).Indicators), TimeSpan.FromMinutes(5))
                : null,
            Lineage = lineage,
        };

        var rejected = new List<RejectedEvent>();
        var accepted = new Dictionary<string, int>(StringComparer.Ordinal);
        var messages = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var stream in new[] { SandboxStream, FirewallStream, SensorsStream })
        {
            var batch = Messages(await File.ReadAllLinesAsync(Path.Combine(dir, stream)), stream);
            var result = await pipeline.ProcessAsync(batch, CancellationToken.None);
            rejected.AddRange(result.Rejected);
            accepted[stream] = result.EventsAccepted;
            messages[stream] = batch.Count;
        }

        var alerts = await alertStore.ListAsync(10_000, CancellationToken.None);
        return new SampleReplay(dir, alerts, rejected, deadLetters.Items, ruleIdByFile, accepted, messages, lineage,
            await sandboxes.GetAsync(CancellationToken.None), incidents);
    }

    /// <summary>The alert of a default-pack rule on a sandbox (there must be exactly one).</summary>
    public Alert AlertOf(string ruleFile, string sandbox)
        => Assert.Single(Alerts, a => a.RuleId == RuleIdByFile[ruleFile] && a.SandboxId == sandbox);

    /// <summary>
    /// Every record of the given streams on its own: read, enriched with the sample's inventory (so it names the sandbox
    /// that held its address at its time) and attributed against the lineage the replay recorded.
    /// </summary>
    public async Task<IReadOnlyList<AttributedRecord>> AttributeRecordsAsync(params string[] streams)
    {
        var batch = new EventBatch();
        var ingestor = new TelemetryIngestor();
        foreach (var stream in streams)
        {
            foreach (var message in Messages(await File.ReadAllLinesAsync(Path.Combine(Folder, stream)), stream))
            {
                ingestor.Ingest(message, batch);
            }
        }

        new EnrichmentStage(Sandboxes).Enrich(batch);
        var attributor = new EventAttributor(Lineage, new AttributionOptions());
        var records = new List<AttributedRecord>();
        for (var e = 0; e < batch.Count; e++)
        {
            var subject = AttributionSubject.Of(batch, e);
            var evidence = subject is null
                ? new Dictionary<string, string>(StringComparer.Ordinal)
                : await attributor.AttributeAsync(subject, CancellationToken.None);
            records.Add(new AttributedRecord(
                batch.Position(e), batch.GetString(e, EcsField.SandboxId), batch.GetString(e, EcsField.DestinationIp),
                batch.GetString(e, EcsField.DestinationPort), evidence));
        }

        return records;
    }

    private static List<TelemetryMessage> Messages(string[] lines, string stream)
    {
        var messages = new List<TelemetryMessage>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (!string.IsNullOrWhiteSpace(lines[i]))
            {
                messages.Add(new TelemetryMessage(Encoding.UTF8.GetBytes(lines[i]), stream, i + 1, DateTimeOffset.UnixEpoch));
            }
        }

        return messages;
    }
}

/// <summary>One record of a sample as attribution sees it on its own.</summary>
/// <param name="Position">Its stream, line (1-based) and index inside the line's message (0-based).</param>
/// <param name="SandboxId">The sandbox enrichment gave it.</param>
/// <param name="DestinationIp">Its destination address.</param>
/// <param name="DestinationPort">Its destination port.</param>
/// <param name="Evidence">The attribution evidence (<see cref="AttributionEvidence"/>); empty when it names no sandbox.</param>
internal sealed record AttributedRecord(
    SourcePosition Position, string? SandboxId, string? DestinationIp, string? DestinationPort, IReadOnlyDictionary<string, string> Evidence)
{
    /// <summary>The evidence value, or <c>none</c>.</summary>
    public string Get(string key) => Evidence.GetValueOrDefault(key, "none");
}
