using System.Globalization;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Respond;

namespace AlertPipeline.Core.Enrich.Attribution;

/// <summary>What attribution needs of one event, read from the batch before any I/O.</summary>
/// <param name="SandboxId">The sandbox the event was attributed to (by its own claim or the inventory's lease).</param>
/// <param name="Time">The event's time.</param>
/// <param name="OwnSensor">Whether the sandbox's own sensors sent it (<see cref="LineageRecorder.IsOwnSensor"/>).</param>
/// <param name="ToolCallId">The tool call it names, if any.</param>
/// <param name="ToolName">The tool it names, if any.</param>
/// <param name="ToolInput">The tool input it carries, if any.</param>
/// <param name="RunId">The run it names, if any.</param>
/// <param name="EpisodeId">The episode it names, if any.</param>
/// <param name="Pid">The process it names, if any.</param>
/// <param name="Transport">Its transport, if any.</param>
/// <param name="SourceIp">Its source address, if any.</param>
/// <param name="SourcePort">Its source port, if any.</param>
/// <param name="DestinationIp">Its destination address, if any.</param>
/// <param name="DestinationPort">Its destination port, if any.</param>
public sealed record AttributionSubject(
    string SandboxId, DateTimeOffset Time, bool OwnSensor, string? ToolCallId, string? ToolName, string? ToolInput, string? RunId,
    string? EpisodeId, long? Pid, string? Transport, string? SourceIp, long? SourcePort, string? DestinationIp, long? DestinationPort)
{
    /// <summary>The subject of event <paramref name="index"/>, or null when it names no sandbox.</summary>
    public static AttributionSubject? Of(EventBatch batch, int index)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var sandbox = batch.GetString(index, EcsField.SandboxId);
        if (sandbox is null)
        {
            return null;
        }

        return new AttributionSubject(
            sandbox, batch.Timestamp(index), LineageRecorder.IsOwnSensor(batch, index),
            batch.GetString(index, EcsField.ToolCallId), batch.GetString(index, EcsField.ToolName), batch.GetString(index, EcsField.ToolInput),
            batch.GetString(index, EcsField.SandboxRunId), batch.GetString(index, EcsField.SandboxEpisodeId),
            Long(EcsField.ProcessPid), batch.GetString(index, EcsField.NetworkTransport),
            batch.GetString(index, EcsField.SourceIp), Long(EcsField.SourcePort),
            batch.GetString(index, EcsField.DestinationIp), Long(EcsField.DestinationPort));

        long? Long(EcsField field) => LineageRecorder.TryLong(batch, index, field, out var value) ? value : null;
    }
}

/// <summary>
/// Links an event to the process and agent tool call behind it, through the lineage the sandbox's own sensors reported
/// (<see cref="ILineageStore"/>), and says how (<see cref="AttributionMethods"/>) and how sure (<see cref="AttributionEvidence"/>):
/// the event's own <c>tool.call_id</c> (1.0); its <c>process.pid</c>, a process the sandbox reported (0.9); for a
/// firewall or IDS record, the sandbox's own connection with the same 5-tuple within the tolerance (0.95), else the
/// nearest own connection to the same destination address and port (0.7, or 0.5 when another process also connected
/// there within the tolerance; nothing when two processes are equally close). A process belongs to the tool call whose
/// input its command line runs, started within the tolerance of it, or else to its parent's.
/// </summary>
public sealed class EventAttributor(ILineageStore store, AttributionOptions options)
{
    /// <summary>Confidence of a link the event itself carried.</summary>
    public const double TelemetryConfidence = 1.0;

    /// <summary>Confidence of a 5-tuple match.</summary>
    public const double FiveTupleConfidence = 0.95;

    /// <summary>Confidence of a known pid.</summary>
    public const double ProcessConfidence = 0.9;

    /// <summary>Confidence of a destination-and-time match when only one process connected there within the tolerance.</summary>
    public const double DestinationTimeConfidence = 0.7;

    /// <summary>Confidence of a destination-and-time match when other processes connected there too, but farther away in time.</summary>
    public const double ContestedDestinationTimeConfidence = 0.5;

    /// <summary>Two candidates nearer to each other than this (in their distance to the event) are equally close: no guess.</summary>
    public static readonly TimeSpan EquallyClose = TimeSpan.FromMilliseconds(250);

    private const int MaxAncestors = 8;

    private readonly ILineageStore _store = store ?? throw new ArgumentNullException(nameof(store));
    private readonly TimeSpan _tolerance = (options ?? throw new ArgumentNullException(nameof(options))).Tolerance;

    /// <summary>The <c>attribution.*</c> evidence of <paramref name="subject"/>: empty when nothing links it.</summary>
    public async Task<Dictionary<string, string>> AttributeAsync(AttributionSubject subject, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subject);
        var evidence = new Dictionary<string, string>(StringComparer.Ordinal);
        var sandbox = subject.SandboxId;

        if (subject.ToolCallId is { } callId)
        {
            var call = await _store.GetToolCallAsync(sandbox, callId, cancellationToken).ConfigureAwait(false)
                ?? new ToolCallRecord(sandbox, callId, subject.ToolName, subject.ToolInput, subject.Time, subject.RunId, subject.EpisodeId);
            var named = subject.Pid is { } p ? await FindProcessAsync(sandbox, p, subject.Time, cancellationToken).ConfigureAwait(false) : null;
            Fill(evidence, AttributionMethods.Telemetry, TelemetryConfidence, named?.Record, call);
            return evidence;
        }

        if (subject.Pid is { } pid && await FindProcessAsync(sandbox, pid, subject.Time, cancellationToken).ConfigureAwait(false) is { } known)
        {
            var call = await ToolCallOfAsync(known, cancellationToken).ConfigureAwait(false);
            Fill(evidence, AttributionMethods.Process, ProcessConfidence, known.Record, call);
            evidence[AttributionEvidence.TimeDeltaMs] = Milliseconds(subject.Time - known.Record.Start);
            return evidence;
        }

        if (subject.OwnSensor || subject.DestinationIp is not { } destination || subject.DestinationPort is not { } port)
        {
            return evidence;
        }

        var connections = await _store.FindConnectionsAsync(
            sandbox, destination, port, subject.Time - _tolerance, subject.Time + _tolerance + TimeSpan.FromTicks(1), cancellationToken).ConfigureAwait(false);
        var (connection, method, confidence) = Choose(subject, connections, evidence);
        if (connection is null)
        {
            return evidence;
        }

        var process = connection.Pid is { } owner ? await FindProcessAsync(sandbox, owner, connection.Time, cancellationToken).ConfigureAwait(false) : null;
        var tool = process is null ? null : await ToolCallOfAsync(process, cancellationToken).ConfigureAwait(false);
        Fill(evidence, method, confidence, process?.Record, tool);
        if (process is null)
        {
            // The sensor named the process but its start is not in the lineage: keep what the connection said.
            Set(evidence, AttributionEvidence.ProcessPid, connection.Pid?.ToString(CultureInfo.InvariantCulture));
            Set(evidence, AttributionEvidence.ProcessName, connection.ProcessName);
        }

        evidence[AttributionEvidence.Connection] = SafeText.Clean(string.Create(CultureInfo.InvariantCulture,
            $"{(connection.Transport.Length == 0 ? "ip" : connection.Transport)} {connection.SourceIp}:{connection.SourcePort} -> {connection.DestinationIp}:{connection.DestinationPort} at {connection.Time.UtcDateTime:HH:mm:ss.fff}Z"));
        evidence[AttributionEvidence.TimeDeltaMs] = Milliseconds(subject.Time - connection.Time);
        return evidence;
    }

    private (ConnectionRecord? Connection, string Method, double Confidence) Choose(
        AttributionSubject subject, IReadOnlyList<ConnectionRecord> connections, Dictionary<string, string> evidence)
    {
        if (connections.Count == 0)
        {
            evidence[AttributionEvidence.Note] = SafeText.Clean(string.Create(CultureInfo.InvariantCulture,
                $"no connection of the sandbox's own to {subject.DestinationIp}:{subject.DestinationPort} within {_tolerance.TotalSeconds:0.###} s"));
            return (null, string.Empty, 0);
        }

        if (subject.SourceIp is { } sourceIp && subject.SourcePort is { } sourcePort)
        {
            var exact = connections
                .Where(c => c.SourcePort == sourcePort && string.Equals(c.SourceIp, sourceIp, StringComparison.OrdinalIgnoreCase)
                    && (c.Transport.Length == 0 || string.IsNullOrEmpty(subject.Transport) || string.Equals(c.Transport, subject.Transport, StringComparison.OrdinalIgnoreCase)))
                .MinBy(c => Distance(subject, c));
            if (exact is not null)
            {
                return (exact, AttributionMethods.FiveTuple, FiveTupleConfidence);
            }
        }

        // Source port translated (or not reported): the nearest own connection to the same destination.
        var ordered = connections.OrderBy(c => Distance(subject, c)).ToList();
        var best = ordered[0];
        var rival = ordered.FirstOrDefault(c => ProcessKey(c) != ProcessKey(best));
        if (rival is null)
        {
            return (best, AttributionMethods.DestinationTime, DestinationTimeConfidence);
        }

        if (Distance(subject, rival) - Distance(subject, best) <= EquallyClose)
        {
            evidence[AttributionEvidence.Note] = SafeText.Clean(string.Create(CultureInfo.InvariantCulture,
                $"not attributed: {Describe(best)} and {Describe(rival)} connected to {subject.DestinationIp}:{subject.DestinationPort} {Milliseconds(best.Time - subject.Time)} ms and {Milliseconds(rival.Time - subject.Time)} ms from this event; equally close, so no guess"));
            return (null, string.Empty, 0);
        }

        return (best, AttributionMethods.DestinationTime, ContestedDestinationTimeConfidence);
    }

    /// <summary>The process with <paramref name="pid"/> running at <paramref name="at"/>: the latest start before it (within the tolerance).</summary>
    private async Task<KnownProcess?> FindProcessAsync(string sandbox, long pid, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var records = await _store.FindProcessesAsync(sandbox, pid, cancellationToken).ConfigureAwait(false);
        ProcessRecord? chosen = null;
        foreach (var record in records)
        {
            // A real start wins over the same pid known only from a child at the same moment.
            if (record.Start <= at + _tolerance && (chosen is null || record.Start > chosen.Start || (record.Start == chosen.Start && chosen.FromParent)))
            {
                chosen = record;
            }
        }

        if (chosen is null)
        {
            return null;
        }

        // Several sensors or several children report one process: it was there since the first of them.
        var firstSeen = records.Where(r => r.Start <= chosen.Start && string.Equals(r.CommandLine, chosen.CommandLine, StringComparison.Ordinal))
            .Select(r => r.Start).DefaultIfEmpty(chosen.Start).Min();
        var parentPid = chosen.ParentPid ?? records.Where(r => r.Start <= chosen.Start && r.ParentPid is not null).Select(r => r.ParentPid).LastOrDefault();
        return new KnownProcess(chosen with { ParentPid = parentPid }, firstSeen);
    }

    /// <summary>The tool call a process, or its nearest ancestor that has one, belongs to.</summary>
    private async Task<ToolCallRecord?> ToolCallOfAsync(KnownProcess process, CancellationToken cancellationToken)
    {
        var sandbox = process.Record.SandboxId;
        var seen = new HashSet<long>();
        for (var current = process; current is not null && seen.Add(current.Record.Pid) && seen.Count <= MaxAncestors;)
        {
            var record = current.Record;
            if (record.ToolCallId is { } callId && await _store.GetToolCallAsync(sandbox, callId, cancellationToken).ConfigureAwait(false) is { } named)
            {
                return named;
            }

            var calls = await _store.FindToolCallsAsync(
                sandbox, current.FirstSeen - _tolerance, current.FirstSeen + _tolerance + TimeSpan.FromTicks(1), cancellationToken).ConfigureAwait(false);
            var matching = calls
                .Where(c => (c.EpisodeId is null || record.EpisodeId is null || c.EpisodeId == record.EpisodeId) && CommandLineMatch.Matches(c.Input, record.CommandLine))
                .OrderBy(c => (c.Time - current.FirstSeen).Duration())
                .ToList();
            if (matching.Count > 0)
            {
                // Two different calls equally near that both ran this command: no guess.
                return matching.Count > 1 && matching[1].CallId != matching[0].CallId
                    && (matching[1].Time - current.FirstSeen).Duration() == (matching[0].Time - current.FirstSeen).Duration() ? null : matching[0];
            }

            current = record.ParentPid is { } parent ? await FindProcessAsync(sandbox, parent, record.Start, cancellationToken).ConfigureAwait(false) : null;
        }

        return null;
    }

    private static void Fill(Dictionary<string, string> evidence, string method, double confidence, ProcessRecord? process, ToolCallRecord? call)
    {
        evidence[AttributionEvidence.Method] = method;
        evidence[AttributionEvidence.Confidence] = confidence.ToString("0.00", CultureInfo.InvariantCulture);
        if (process is not null)
        {
            Set(evidence, AttributionEvidence.ProcessPid, process.Pid.ToString(CultureInfo.InvariantCulture));
            Set(evidence, AttributionEvidence.ProcessName, process.Name);
            Set(evidence, AttributionEvidence.ProcessCommandLine, process.CommandLine);
        }

        if (call is not null)
        {
            Set(evidence, AttributionEvidence.ToolCallId, call.CallId);
            Set(evidence, AttributionEvidence.ToolName, call.Name);
            Set(evidence, AttributionEvidence.ToolInput, call.Input);
            Set(evidence, AttributionEvidence.ToolTime, call.Time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
        }

        Set(evidence, AttributionEvidence.RunId, call?.RunId ?? process?.RunId);
        Set(evidence, AttributionEvidence.EpisodeId, call?.EpisodeId ?? process?.EpisodeId);
    }

    private static void Set(Dictionary<string, string> evidence, string key, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            evidence[key] = SafeText.Clean(value);
        }
    }

    private static TimeSpan Distance(AttributionSubject subject, ConnectionRecord c) => (c.Time - subject.Time).Duration();

    private static string ProcessKey(ConnectionRecord c) => c.Pid?.ToString(CultureInfo.InvariantCulture) ?? c.ProcessName ?? string.Empty;

    private static string Describe(ConnectionRecord c) => c.Pid is { } pid ? $"pid {pid} ({c.ProcessName})" : $"process {c.ProcessName ?? "unknown"}";

    private static string Milliseconds(TimeSpan delta) => ((long)Math.Round(delta.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture);

    private sealed record KnownProcess(ProcessRecord Record, DateTimeOffset FirstSeen);
}
