using System.Collections.Concurrent;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Enrich;
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
    private readonly IDeadLetterStore _deadLetters;
    private readonly PipelineOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentBag<EventBatch> _batchPool = [];

    /// <summary>Composes the stages.</summary>
    public TelemetryPipeline(
        TelemetryIngestor ingestor,
        SandboxSnapshotProvider sandboxes,
        RuleSetProvider rules,
        AlertResponder responder,
        IDeadLetterStore deadLetters,
        PipelineOptions options,
        ILogger<TelemetryPipeline>? logger = null)
    {
        _ingestor = ingestor;
        _sandboxes = sandboxes;
        _rules = rules;
        _responder = responder;
        _deadLetters = deadLetters;
        _options = options;
        _logger = (ILogger?)logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    }

    /// <summary>Runs one transport batch through the whole path.</summary>
    public async Task<PipelineResult> ProcessAsync(IReadOnlyList<TelemetryMessage> messages, CancellationToken cancellationToken)
    {
        var ruleSet = await _rules.GetAsync(cancellationToken).ConfigureAwait(false);
        var snapshot = await _sandboxes.GetAsync(cancellationToken).ConfigureAwait(false);

        var batch = _batchPool.TryTake(out var pooled) ? pooled : new EventBatch(Math.Max(messages.Count, 16));
        try
        {
            foreach (var message in messages)
            {
                _ingestor.Ingest(message, batch);
            }

            // Dead letters are written before alerts so a crash later in the batch cannot lose them.
            var rejected = batch.Rejects.ToArray();
            if (rejected.Length > 0)
            {
                LogEventsRejected(rejected.Length, rejected[0].Reason, rejected[0].Position.ToString());
                await _deadLetters.WriteAsync(rejected, cancellationToken).ConfigureAwait(false);
            }

            new EnrichmentStage(snapshot).Enrich(batch);

            var detections = new List<Detection>();
            ruleSet.Evaluate(batch, detections);
            var candidates = Group(batch, ruleSet, detections);
            var alerts = candidates.Count == 0
                ? []
                : await _responder.RespondAsync(candidates, cancellationToken).ConfigureAwait(false);

            return new PipelineResult(batch.Count, rejected, alerts);
        }
        finally
        {
            batch.Clear();
            _batchPool.Add(batch);
        }
    }

    private List<AlertCandidate> Group(EventBatch batch, RuleSet ruleSet, List<Detection> detections)
    {
        var byId = new Dictionary<string, AlertCandidate>(StringComparer.Ordinal);
        var ordered = new List<AlertCandidate>();
        foreach (var detection in detections)
        {
            var rule = ruleSet.Rules[detection.RuleIndex];
            var e = detection.EventIndex;
            var sandboxId = batch.GetString(e, EcsField.SandboxId) ?? Unattributed;
            var timestamp = batch.Timestamp(e);
            var alertId = AlertIds.For(rule.Rule.Id, sandboxId, timestamp, _options.AlertBucket);
            if (!byId.TryGetValue(alertId, out var candidate))
            {
                candidate = new AlertCandidate(alertId, rule, sandboxId, EvidenceOf(batch, e, rule.Rule));
                byId[alertId] = candidate;
                ordered.Add(candidate);
            }

            candidate.Events.Add(new MatchedEvent(batch.Position(e), timestamp));
        }

        return ordered;
    }

    /// <summary>The fields a rule read plus the context an operator needs, cleaned and truncated.</summary>
    private static Dictionary<string, string> EvidenceOf(EventBatch batch, int index, CompiledRule rule)
    {
        var evidence = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var field in rule.Fields)
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
        EcsField.ToolCallId, EcsField.ProcessCommandLine, EcsField.SourceIp, EcsField.DestinationIp,
        EcsField.DestinationPort, EcsField.DestinationDomain, EcsField.EventAction, EcsField.ObserverName,
    ];

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "{Count} records rejected to dead letters; first: {Reason} at {Position}")]
    private partial void LogEventsRejected(int count, string reason, string position);
}
