using System.Collections.Concurrent;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Detect.Correlation;
using AlertPipeline.Core.Detect.Heartbeat;
using AlertPipeline.Core.Detect.Sigma;
using AlertPipeline.Core.Enrich;
using AlertPipeline.Core.Enrich.Attribution;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Ingest;
using AlertPipeline.Core.Respond;
using Microsoft.Extensions.Logging;

namespace AlertPipeline.Core.Pipeline;

/// <summary>
/// The data path, left to right: ingest (detect the format per body and normalize), enrich, detect, respond.
/// Rejected records go to the dead-letter store and the rest of the batch still flows. The Functions and the
/// CLI both run this class, composed once in DI.
/// </summary>
public sealed partial class TelemetryPipeline
{
    private const string Unattributed = "unattributed";

    private readonly TelemetryIngestor _ingestor;
    private readonly SandboxSnapshotProvider _sandboxes;
    private readonly RuleSetProvider _rules;
    private readonly AlertResponder _responder;
    private readonly CorrelationEngine _correlations;
    private readonly IDeadLetterStore _deadLetters;
    private readonly PipelineOptions _options;
    private readonly ILogger _logger;
    private readonly ISandboxActivityStore? _activity;
    private readonly ConcurrentBag<EventBatch> _batchPool = [];
    private EventAttributor? _attributor;
    private long _nextLineagePurgeTicks;

    /// <summary>Composes the stages.</summary>
    public TelemetryPipeline(
        TelemetryIngestor ingestor,
        SandboxSnapshotProvider sandboxes,
        RuleSetProvider rules,
        AlertResponder responder,
        IDeadLetterStore deadLetters,
        PipelineOptions options,
        CorrelationEngine correlations,
        ILogger<TelemetryPipeline>? logger = null,
        ISandboxActivityStore? activity = null)
    {
        _activity = activity;
        _correlations = correlations;
        _ingestor = ingestor;
        _sandboxes = sandboxes;
        _rules = rules;
        _responder = responder;
        _deadLetters = deadLetters;
        _options = options;
        _logger = (ILogger?)logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    }

    /// <summary>The threat indicators events are matched against; none when unset.</summary>
    public IndicatorSetProvider? Indicators { get; init; }

    /// <summary>
    /// Where the sandboxes' own lineage (tool calls, process starts, connections) is recorded and read to attribute
    /// alerts to the process and tool call behind them; no attribution when unset.
    /// </summary>
    public ILineageStore? Lineage { get; init; }

    /// <summary>Attribution settings (tolerance).</summary>
    public AttributionOptions Attribution { get; init; } = new();

    /// <summary>The clock the lineage purge runs on.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Runs one transport batch through the whole path.</summary>
    public async Task<PipelineResult> ProcessAsync(IReadOnlyList<TelemetryMessage> messages, CancellationToken cancellationToken)
    {
        var ruleSet = await _rules.GetAsync(cancellationToken).ConfigureAwait(false);
        var snapshot = await _sandboxes.GetAsync(cancellationToken).ConfigureAwait(false);
        var indicators = Indicators is null ? IndicatorSet.Empty : await Indicators.GetAsync(cancellationToken).ConfigureAwait(false);

        var batch = _batchPool.TryTake(out var pooled) ? pooled : new EventBatch(Math.Max(messages.Count, 16));

        // Which events each message produced: the heartbeat check counts by the hub's enqueued time, not by the event's own.
        var messageEnds = System.Buffers.ArrayPool<int>.Shared.Rent(messages.Count);
        try
        {
            for (var m = 0; m < messages.Count; m++)
            {
                _ingestor.Ingest(messages[m], batch);
                messageEnds[m] = batch.Count;
            }

            // Dead letters are written before alerts so a crash later in the batch cannot lose them.
            var rejected = batch.Rejects.ToArray();
            if (rejected.Length > 0)
            {
                LogEventsRejected(rejected.Length, rejected[0].Reason, rejected[0].Position.ToString());
                await _deadLetters.WriteAsync(rejected, cancellationToken).ConfigureAwait(false);
            }

            new EnrichmentStage(snapshot, indicators).Enrich(batch);

            // Lineage first, so this batch's own events explain its firewall records (outside the per-event hot path).
            if (Lineage is not null && LineageRecorder.Collect(batch) is { } lineage)
            {
                try
                {
                    await Lineage.RecordAsync(lineage, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Attribution is evidence, not detection: its store being down must not hold back an alert.
                    LogLineageFailed(e, "record");
                }
            }

            var detections = new List<Detection>();
            ruleSet.Evaluate(batch, detections);
            var firstEvents = new List<(Dictionary<string, string> Evidence, int Event)>();
            var candidates = Group(batch, ruleSet, detections, firstEvents);
            var alerts = new List<Alert>();
            if (candidates.Count > 0)
            {
                foreach (var (evidence, e) in firstEvents)
                {
                    await AttributeAsync(batch, e, evidence, cancellationToken).ConfigureAwait(false);
                }

                alerts.AddRange(await _responder.RespondAsync(candidates, cancellationToken).ConfigureAwait(false));
            }

            await _correlations.ProcessAsync(ruleSet, batch, detections, RespondToCorrelations, cancellationToken).ConfigureAwait(false);

            // Last, so a slow activity write never delays an alert; one update per sandbox per batch.
            if (_activity is not null)
            {
                var updates = new SandboxActivityAggregator().Aggregate(batch, messages, messageEnds.AsSpan(0, messages.Count), snapshot);
                if (updates.Count > 0)
                {
                    await _activity.RecordAsync(updates, cancellationToken).ConfigureAwait(false);
                }
            }

            return new PipelineResult(batch.Count, rejected, alerts);

            async Task RespondToCorrelations(IReadOnlyList<CorrelationFiring> firings, CancellationToken ct)
            {
                var correlationCandidates = new List<AlertCandidate>(firings.Count);
                foreach (var firing in firings)
                {
                    var candidate = CandidateFor(firing, batch);
                    if (firing.BatchEvents.Count > 0 && candidate.Evidence is Dictionary<string, string> evidence)
                    {
                        await AttributeAsync(batch, firing.BatchEvents[^1], evidence, ct).ConfigureAwait(false);
                    }

                    correlationCandidates.Add(candidate);
                }

                alerts.AddRange(await _responder.RespondAsync(correlationCandidates, ct).ConfigureAwait(false));
            }
        }
        finally
        {
            System.Buffers.ArrayPool<int>.Shared.Return(messageEnds);
            batch.Clear();
            _batchPool.Add(batch);
        }
    }

    /// <summary>
    /// Judges fixed correlation windows that closed while no event arrived and deletes expired correlation state;
    /// run by a timer. Returns the alerts it raised or updated.
    /// </summary>
    public async Task<IReadOnlyList<Alert>> SweepCorrelationsAsync(CancellationToken cancellationToken)
    {
        var ruleSet = await _rules.GetAsync(cancellationToken).ConfigureAwait(false);
        var alerts = new List<Alert>();
        await _correlations.SweepAsync(ruleSet, async (firings, ct) =>
        {
            var candidates = firings.Select(f => CandidateFor(f, batch: null)).ToList();
            alerts.AddRange(await _responder.RespondAsync(candidates, ct).ConfigureAwait(false));
        }, cancellationToken).ConfigureAwait(false);

        // Lineage older than its retention goes at most once an hour (a scan of the table).
        var now = Time.GetUtcNow();
        if (Lineage is not null && now.UtcTicks >= Interlocked.Read(ref _nextLineagePurgeTicks))
        {
            Interlocked.Exchange(ref _nextLineagePurgeTicks, (now + TimeSpan.FromHours(1)).UtcTicks);
            try
            {
                await Lineage.PurgeAsync(now - AttributionOptions.Retention, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogLineageFailed(e, "purge"); // what is left goes an hour later
            }
        }

        return alerts;
    }

    /// <summary>Adds the <c>attribution.*</c> evidence of event <paramref name="index"/> to <paramref name="evidence"/>.</summary>
    private async Task AttributeAsync(EventBatch batch, int index, Dictionary<string, string> evidence, CancellationToken cancellationToken)
    {
        if (Lineage is null || AttributionSubject.Of(batch, index) is not { } subject)
        {
            return;
        }

        _attributor ??= new EventAttributor(Lineage, Attribution);
        try
        {
            foreach (var (key, value) in await _attributor.AttributeAsync(subject, cancellationToken).ConfigureAwait(false))
            {
                evidence[key] = value;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogLineageFailed(e, "read");
            evidence[AttributionEvidence.Note] = "not attributed: the lineage store could not be read";
        }
    }

    /// <summary>
    /// The alert of a correlation firing: one per (rule, group, episode or window), its count the correlation's,
    /// its evidence the group, the window and the latest contributing event of this batch.
    /// </summary>
    private AlertCandidate CandidateFor(CorrelationFiring firing, EventBatch? batch)
    {
        var correlation = firing.Correlation;
        var lastEvent = batch is null || firing.BatchEvents.Count == 0 ? -1 : firing.BatchEvents[^1];
        string? sandboxId = null;
        for (var g = 0; g < correlation.GroupNames.Count && sandboxId is null; g++)
        {
            if (SigmaFieldMap.TryResolve(correlation.GroupNames[g], out var field) && field == EcsField.SandboxId)
            {
                sandboxId = firing.GroupValues[g];
            }
        }

        sandboxId ??= lastEvent >= 0 ? batch!.GetString(lastEvent, EcsField.SandboxId) : null;
        var evidence = lastEvent >= 0 ? EvidenceOf(batch!, lastEvent, null) : new Dictionary<string, string>(StringComparer.Ordinal);
        var definition = correlation.Definition;
        evidence["correlation.type"] = definition.Type switch
        {
            CorrelationType.EventCount => "event_count",
            CorrelationType.ValueCount => "value_count",
            CorrelationType.Temporal => "temporal",
            _ => "temporal_ordered",
        };
        evidence["correlation.group"] = SafeText.Clean(string.Join(", ", correlation.GroupNames.Select((name, g) => $"{name}={firing.GroupValues[g]}")));
        evidence["correlation.condition"] = $"{definition.Condition} within {definition.Timespan}" + (definition.ValueField is { } value ? $" (distinct {value.Replace('\u001f', '+')})" : string.Empty);
        evidence["correlation.rules"] = string.Join(", ", definition.Rules);
        evidence["correlation.window"] = $"{firing.WindowStart:O} .. {firing.WindowEnd:O}";
        evidence["correlation.count"] = firing.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var alertId = AlertIds.For(correlation.Id, firing.GroupKey, new DateTimeOffset(firing.KeyTicks, TimeSpan.Zero), TimeSpan.FromTicks(1));
        var candidate = new AlertCandidate(alertId, correlation.Rule, sandboxId ?? Unattributed, evidence)
        {
            Correlation = new CorrelationSummary(firing.Count, firing.WindowStart, firing.WindowEnd),
        };
        if (batch is not null)
        {
            foreach (var e in firing.BatchEvents)
            {
                candidate.Events.Add(new MatchedEvent(batch.Position(e), batch.Timestamp(e)));
            }
        }

        return candidate;
    }

    private List<AlertCandidate> Group(EventBatch batch, RuleSet ruleSet, List<Detection> detections, List<(Dictionary<string, string> Evidence, int Event)> firstEvents)
    {
        var byId = new Dictionary<string, AlertCandidate>(StringComparer.Ordinal);
        var ordered = new List<AlertCandidate>();
        foreach (var detection in detections)
        {
            var rule = ruleSet.Rules[detection.RuleIndex];
            if (!rule.Generates)
            {
                continue; // feeds correlation rules only
            }

            var e = detection.EventIndex;
            var sandboxId = batch.GetString(e, EcsField.SandboxId) ?? Unattributed;
            var timestamp = batch.Timestamp(e);
            var alertId = AlertIds.For(rule.Rule.Id, sandboxId, timestamp, _options.AlertBucket);
            if (!byId.TryGetValue(alertId, out var candidate))
            {
                var evidence = EvidenceOf(batch, e, rule.Rule);
                candidate = new AlertCandidate(alertId, rule, sandboxId, evidence);
                firstEvents.Add((evidence, e));
                byId[alertId] = candidate;
                ordered.Add(candidate);
            }

            candidate.Events.Add(new MatchedEvent(batch.Position(e), timestamp));
        }

        return ordered;
    }

    /// <summary>The fields a rule read plus the context an operator needs, cleaned and truncated.</summary>
    private static Dictionary<string, string> EvidenceOf(EventBatch batch, int index, CompiledRule? rule)
    {
        var evidence = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var field in rule?.Fields ?? [])
        {
            Add(field);
        }

        foreach (var field in ContextFields)
        {
            Add(field);
        }

        evidence["event.format"] = batch.FormatOf(index);
        evidence["event.source"] = SafeText.Clean(batch.Position(index).ToString());
        return evidence;

        void Add(EcsField field)
        {
            if (batch.Has(index, field))
            {
                evidence[EcsFields.NameOf(field)] = SafeText.Clean(new string(batch.Get(index, field)));
            }
        }
    }

    private static readonly EcsField[] ContextFields =
    [
        EcsField.Timestamp, EcsField.HostName, EcsField.SandboxId, EcsField.SandboxRunId, EcsField.SandboxEpisodeId,
        // The entities an incident is told by: tool call, process and connection.
        EcsField.ToolCallId, EcsField.ToolName, EcsField.ToolInput, EcsField.ProcessPid, EcsField.ProcessName, EcsField.ProcessCommandLine,
        EcsField.ProcessParentPid, EcsField.NetworkTransport, EcsField.SourceIp, EcsField.SourcePort, EcsField.DestinationIp, EcsField.DestinationPort, EcsField.DestinationDomain, EcsField.EventAction, EcsField.ObserverName,

        // Present only when a threat indicator matched: which one, and whose feed listed it.
        EcsField.ThreatIndicatorIp, EcsField.ThreatIndicatorDomain, EcsField.ThreatIndicatorProvider, EcsField.ThreatIndicatorDescription,
    ];

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "{Count} records rejected to dead letters; first: {Reason} at {Position}")]
    private partial void LogEventsRejected(int count, string reason, string position);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Lineage {Operation} failed; alerts go on without attribution")]
    private partial void LogLineageFailed(Exception exception, string operation);
}
