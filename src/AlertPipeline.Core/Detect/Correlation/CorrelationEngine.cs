using System.Security.Cryptography;
using System.Text;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Respond;
using Microsoft.Extensions.Logging;

namespace AlertPipeline.Core.Detect.Correlation;

/// <summary>Settings of correlation evaluation (section <c>Correlation</c>, app settings <c>Correlation__*</c>).</summary>
public sealed class CorrelationOptions
{
    /// <summary>How far behind the latest event time of a group an event may arrive and still be counted.</summary>
    public TimeSpan Lateness { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Entries kept per group; past it the count saturates (the oldest entries are dropped).</summary>
    public int MaxEntriesPerGroup { get; set; } = 2000;

    /// <summary>How often a state write that lost an ETag race is redone.</summary>
    public int MaxConcurrencyRetries { get; set; } = 8;

    /// <summary>Extra time a group's state is kept after its last update, beyond timespan and lateness.</summary>
    public TimeSpan RetentionGrace { get; set; } = TimeSpan.FromMinutes(10);
}

/// <summary>
/// A correlation that held for one group: the window (or episode) and its count, and the events of the current
/// batch that belong to it (for evidence). <see cref="KeyTicks"/> identifies the episode or fixed window, so a
/// redelivered batch or a second instance converges on the same alert.
/// </summary>
public sealed class CorrelationFiring
{
    internal CorrelationFiring(CompiledCorrelation correlation, string groupKey, string?[] groupValues, WindowHit hit, IReadOnlyList<int> batchEvents)
    {
        Correlation = correlation;
        GroupKey = groupKey;
        GroupValues = groupValues;
        KeyTicks = hit.KeyTicks;
        WindowStart = new DateTimeOffset(hit.StartTicks, TimeSpan.Zero);
        WindowEnd = new DateTimeOffset(hit.EndTicks, TimeSpan.Zero);
        Count = hit.Count;
        BatchEvents = batchEvents;
    }

    /// <summary>The correlation that held.</summary>
    public CompiledCorrelation Correlation { get; }

    /// <summary>The hash of the group values (the state's key).</summary>
    public string GroupKey { get; }

    /// <summary>One value per <see cref="CompiledCorrelation.GroupNames"/> entry.</summary>
    public IReadOnlyList<string?> GroupValues { get; }

    /// <summary>Identity of the episode (sliding) or window (fixed): start time in UTC ticks.</summary>
    public long KeyTicks { get; }

    /// <summary>Earliest start of the satisfied windows.</summary>
    public DateTimeOffset WindowStart { get; }

    /// <summary>Latest end of the satisfied windows.</summary>
    public DateTimeOffset WindowEnd { get; }

    /// <summary>The count: events, distinct values or rules matched (the highest of the episode).</summary>
    public long Count { get; }

    /// <summary>Indices in the current batch of the events of this group that fed it (empty for the sweep).</summary>
    public IReadOnlyList<int> BatchEvents { get; }

    /// <summary>The value of group name <paramref name="name"/>, or null.</summary>
    public string? ValueOf(string name)
    {
        for (var i = 0; i < Correlation.GroupNames.Count; i++)
        {
            if (Correlation.GroupNames[i] == name)
            {
                return GroupValues[i];
            }
        }

        return null;
    }
}

/// <summary>Called with the firings of one group before its state is written, so an alert is never lost to a crash.</summary>
public delegate Task CorrelationRespond(IReadOnlyList<CorrelationFiring> firings, CancellationToken cancellationToken);

/// <summary>
/// Evaluates the correlation rules of a <see cref="RuleSet"/> over a batch's detections with state shared through an
/// <see cref="ICorrelationStateStore"/>. For each (correlation, group) touched by the batch: one read, merge, judge,
/// respond, one conditional write; a lost ETag race re-reads and redoes that group. Events carry stable keys, so
/// redelivery, a second instance or a restart count each event once. See docs/correlation.md.
/// </summary>
public sealed partial class CorrelationEngine
{
    private readonly ICorrelationStateStore _store;
    private readonly CorrelationOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates the engine.</summary>
    public CorrelationEngine(ICorrelationStateStore store, CorrelationOptions? options = null, TimeProvider? time = null, ILogger<CorrelationEngine>? logger = null)
    {
        _store = store;
        _options = options ?? new CorrelationOptions();
        _time = time ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    }

    /// <summary>
    /// Feeds the batch's <paramref name="detections"/> to every correlation that reads their rules, inner correlations
    /// first; <paramref name="respond"/> receives the firings of correlations that raise alerts. Returns every firing.
    /// </summary>
    public async Task<IReadOnlyList<CorrelationFiring>> ProcessAsync(
        RuleSet rules, EventBatch batch, IReadOnlyList<Detection> detections, CorrelationRespond respond, CancellationToken cancellationToken)
    {
        var correlations = rules.Correlations;
        if (correlations.Count == 0 || detections.Count == 0)
        {
            return [];
        }

        var work = new BatchGroups?[correlations.Count];
        foreach (var detection in detections)
        {
            foreach (var (c, input) in rules.ConsumersOfEventRule(detection.RuleIndex))
            {
                AddEvent(work, c, correlations[c], input, batch, detection.EventIndex);
            }
        }

        var all = new List<CorrelationFiring>();
        for (var c = 0; c < correlations.Count; c++)
        {
            if (work[c] is not { } groups)
            {
                continue;
            }

            foreach (var group in groups.All)
            {
                var firings = await ProcessGroupAsync(correlations[c], group, respond, cancellationToken).ConfigureAwait(false);
                foreach (var firing in firings)
                {
                    all.Add(firing);
                    foreach (var (consumer, input) in rules.ConsumersOfCorrelation(c))
                    {
                        AddFiring(work, consumer, correlations[consumer], input, firing);
                    }
                }
            }
        }

        return all;
    }

    /// <summary>
    /// Housekeeping for a timer: judges fixed windows that closed while no event arrived (conditions such as
    /// <c>lt</c>), then deletes groups past their expiry. Returns the firings and the number of groups deleted.
    /// </summary>
    public async Task<(IReadOnlyList<CorrelationFiring> Firings, int Deleted)> SweepAsync(RuleSet rules, CorrelationRespond respond, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var firings = new List<CorrelationFiring>();
        foreach (var correlation in rules.Correlations)
        {
            if (correlation.IsMonotonic)
            {
                continue;
            }

            await foreach (var state in _store.ListAsync(correlation.Id, cancellationToken).ConfigureAwait(false))
            {
                if (state.Fingerprint != correlation.Fingerprint)
                {
                    continue;
                }

                var hits = new List<WindowHit>();
                var before = state.ClosedThroughTicks;
                CorrelationWindows.EvaluateClosed(state, correlation, Math.Max(state.MaxTicks, now.UtcTicks), _options.Lateness, hits);
                if (state.ClosedThroughTicks == before)
                {
                    continue;
                }

                var groupFirings = hits.Select(h => new CorrelationFiring(correlation, state.GroupKey, ParseGroupText(correlation, state.GroupText), h, [])).ToList();
                if (groupFirings.Count > 0 && correlation.Generates)
                {
                    await respond(groupFirings, cancellationToken).ConfigureAwait(false);
                }

                CorrelationWindows.Prune(state, correlation, _options.Lateness, _options.MaxEntriesPerGroup);

                // A lost race means an instance is updating this group right now; it judges the windows itself.
                if (await _store.TryWriteAsync(state, cancellationToken).ConfigureAwait(false))
                {
                    firings.AddRange(groupFirings);
                }
            }
        }

        var deleted = 0;
        await foreach (var state in _store.ListExpiredAsync(now, cancellationToken).ConfigureAwait(false))
        {
            if (await _store.TryDeleteAsync(state, cancellationToken).ConfigureAwait(false))
            {
                deleted++;
            }
        }

        if (deleted > 0)
        {
            LogExpiredDeleted(deleted);
        }

        return (firings, deleted);
    }

    private async Task<IReadOnlyList<CorrelationFiring>> ProcessGroupAsync(CompiledCorrelation correlation, GroupWork group, CorrelationRespond respond, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var state = await _store.GetAsync(correlation.Id, group.Key, cancellationToken).ConfigureAwait(false);
            if (state is null || state.Fingerprint != correlation.Fingerprint)
            {
                // New group, or state kept for an earlier version of the rule: start over (keeping the ETag to replace it).
                state = new CorrelationState { RuleId = correlation.Id, GroupKey = group.Key, ETag = state?.ETag, Fingerprint = correlation.Fingerprint };
            }

            state.GroupText = group.Text;
            var added = CorrelationWindows.Merge(state, group.Entries, correlation, _options.Lateness, out var earliestNew, out var tooLate);
            if (tooLate > 0)
            {
                LogTooLate(correlation.Id, tooLate, _options.Lateness);
            }

            if (added == 0)
            {
                // A pure redelivery: nothing to count or write. The episode its events belong to is reported again
                // (the alert absorbs it), so a redelivered batch touches the same alerts as the first delivery did,
                // and a chained correlation that missed this firing in a crash gets it now.
                return await RefireAsync(correlation, group, state, respond, cancellationToken).ConfigureAwait(false);
            }

            var hits = new List<WindowHit>();
            if (correlation.IsMonotonic)
            {
                CorrelationWindows.EvaluateSliding(state, correlation, earliestNew, hits);
            }
            else
            {
                CorrelationWindows.EvaluateClosed(state, correlation, state.MaxTicks, _options.Lateness, hits);
            }

            var firings = new List<CorrelationFiring>(hits.Count);
            foreach (var hit in hits)
            {
                firings.Add(new CorrelationFiring(correlation, group.Key, group.Values, hit, group.EventsWithin(hit.StartTicks, hit.EndTicks)));
            }

            // Alerts first: if the state write below fails or the process dies, the redelivered batch fires again
            // and the deterministic alert id absorbs the repeat.
            if (firings.Count > 0 && correlation.Generates)
            {
                await respond(firings, cancellationToken).ConfigureAwait(false);
            }

            CorrelationWindows.Prune(state, correlation, _options.Lateness, _options.MaxEntriesPerGroup);
            state.ExpiresAt = _time.GetUtcNow() + correlation.Definition.Timespan + _options.Lateness + _options.RetentionGrace;
            if (await _store.TryWriteAsync(state, cancellationToken).ConfigureAwait(false))
            {
                return firings;
            }

            LogStateConflict(correlation.Id, group.Key, attempt + 1);
            if (attempt >= _options.MaxConcurrencyRetries)
            {
                throw new InvalidOperationException($"Correlation state {correlation.Id}/{group.Key} kept changing concurrently; giving up after {attempt + 1} tries.");
            }
        }
    }

    private static async Task<IReadOnlyList<CorrelationFiring>> RefireAsync(
        CompiledCorrelation correlation, GroupWork group, CorrelationState state, CorrelationRespond respond, CancellationToken cancellationToken)
    {
        if (!correlation.IsMonotonic || state.EpisodeKeyTicks == 0
            || !group.Entries.Exists(e => e.Ticks >= state.EpisodeStartTicks && e.Ticks <= state.EpisodeEndTicks))
        {
            return [];
        }

        var hit = new WindowHit(state.EpisodeKeyTicks, state.EpisodeStartTicks, state.EpisodeEndTicks, state.EpisodeMax);
        CorrelationFiring[] firings = [new(correlation, group.Key, group.Values, hit, group.EventsWithin(hit.StartTicks, hit.EndTicks))];
        if (correlation.Generates)
        {
            await respond(firings, cancellationToken).ConfigureAwait(false);
        }

        return firings;
    }

    private static void AddEvent(BatchGroups?[] work, int c, CompiledCorrelation correlation, int inputIndex, EventBatch batch, int e)
    {
        // Called per matching event: the group is found by a hash of the field slices and checked value by value,
        // so only a group's first event allocates (its strings and key).
        var input = correlation.Inputs[inputIndex];
        var groupHash = new Fnv64();
        foreach (var field in input.GroupFields)
        {
            if (!batch.Has(e, field))
            {
                return; // an event without a group value belongs to no group (documented)
            }

            groupHash = groupHash.Add(batch.Get(e, field));
        }

        var value = new Fnv64();
        foreach (var field in input.ValueFields)
        {
            if (!batch.Has(e, field))
            {
                return; // value_count counts values, and this event has none
            }

            value = value.Add(batch.Get(e, field));
        }

        var groups = work[c] ??= new BatchGroups();
        var group = groups.Find(groupHash.Value, batch, e, input.GroupFields);
        if (group is null)
        {
            var values = new string?[input.GroupFields.Length];
            for (var g = 0; g < values.Length; g++)
            {
                values[g] = new string(batch.Get(e, input.GroupFields[g]));
            }

            group = groups.Add(groupHash.Value, new GroupWork(GroupKeyOf(values), values, GroupTextOf(correlation, values)));
        }

        var position = batch.Position(e);
        var key = new Fnv64().Add(position.Stream).Add(position.Sequence).Add(position.Record).Add(inputIndex).Value;
        var ticks = batch.Timestamp(e).UtcTicks;
        group.Entries.Add(new CorrelationEntry(ticks, key, value.Value, (byte)inputIndex));
        group.Events.Add((ticks, e));
    }

    private static void AddFiring(BatchGroups?[] work, int c, CompiledCorrelation correlation, int inputIndex, CorrelationFiring firing)
    {
        var input = correlation.Inputs[inputIndex];
        var values = new string?[input.InnerGroupPositions.Length];
        for (var g = 0; g < values.Length; g++)
        {
            values[g] = firing.GroupValues[input.InnerGroupPositions[g]];
        }

        var value = new Fnv64();
        foreach (var position in input.InnerValuePositions)
        {
            value = value.Add(firing.GroupValues[position] ?? string.Empty);
        }

        // The inner episode or window is the event: counted once however often it is reported.
        var key = new Fnv64().Add(firing.Correlation.Id).Add(firing.GroupKey).Add(firing.KeyTicks).Add(inputIndex).Value;
        // The same hash as AddEvent takes over the field slices, so events and inner firings of one group meet.
        var groupHash = new Fnv64();
        foreach (var v in values)
        {
            groupHash = groupHash.Add(v ?? string.Empty);
        }

        var groups = work[c] ??= new BatchGroups();
        var group = groups.Find(groupHash.Value, values)
            ?? groups.Add(groupHash.Value, new GroupWork(GroupKeyOf(values), values, GroupTextOf(correlation, values)));
        group.Entries.Add(new CorrelationEntry(firing.WindowEnd.UtcTicks, key, value.Value, (byte)inputIndex));
        foreach (var e in firing.BatchEvents)
        {
            group.Events.Add((firing.WindowEnd.UtcTicks, e));
        }
    }

    /// <summary>
    /// SHA-256 of the group values: the values are attacker-controlled, so the key that separates one group's
    /// state from another's must not be collidable, and it must be a safe Table RowKey whatever the values hold.
    /// </summary>
    internal static string GroupKeyOf(IReadOnlyList<string?> values)
    {
        var joined = string.Join('\u001f', values.Select(v => v ?? string.Empty));
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(joined), hash);
        return Convert.ToHexStringLower(hash[..16]);
    }

    private static string GroupTextOf(CompiledCorrelation correlation, string?[] values)
    {
        var text = new StringBuilder();
        for (var g = 0; g < values.Length; g++)
        {
            if (g > 0)
            {
                text.Append('\n');
            }

            text.Append(correlation.GroupNames[g]).Append('=').Append(SafeText.Clean(values[g] ?? string.Empty, 256));
        }

        return text.ToString();
    }

    private static string?[] ParseGroupText(CompiledCorrelation correlation, string text)
    {
        var values = new string?[correlation.GroupNames.Count];
        var lines = text.Split('\n');
        for (var g = 0; g < values.Length && g < lines.Length; g++)
        {
            var eq = lines[g].IndexOf('=', StringComparison.Ordinal);
            values[g] = eq < 0 ? null : lines[g][(eq + 1)..];
        }

        return values;
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Warning, Message = "Correlation {RuleId}: {Count} events arrived more than {Lateness} late and were not counted")]
    private partial void LogTooLate(string ruleId, int count, TimeSpan lateness);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Debug, Message = "Correlation {RuleId} group {GroupKey}: state changed concurrently, attempt {Attempt}; re-reading")]
    private partial void LogStateConflict(string ruleId, string groupKey, int attempt);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Information, Message = "Correlation state: {Count} expired groups deleted")]
    private partial void LogExpiredDeleted(int count);

    /// <summary>
    /// One correlation's groups in the current batch, found by a 64-bit hash of the group's field values. The hash
    /// only narrows the search: values are compared exactly, so crafted collisions can cost a comparison, never merge
    /// two groups (the stored key is a SHA-256).
    /// </summary>
    private sealed class BatchGroups
    {
        private readonly Dictionary<ulong, GroupWork> _byHash = [];

        public List<GroupWork> All { get; } = [];

        public GroupWork? Find(ulong hash, EventBatch batch, int e, EcsField[] fields)
        {
            for (var group = _byHash.GetValueOrDefault(hash); group is not null; group = group.NextWithSameHash)
            {
                if (group.HasValues(batch, e, fields))
                {
                    return group;
                }
            }

            return null;
        }

        public GroupWork? Find(ulong hash, string?[] values)
        {
            for (var group = _byHash.GetValueOrDefault(hash); group is not null; group = group.NextWithSameHash)
            {
                if (group.Values.AsSpan().SequenceEqual(values))
                {
                    return group;
                }
            }

            return null;
        }

        public GroupWork Add(ulong hash, GroupWork group)
        {
            group.NextWithSameHash = _byHash.GetValueOrDefault(hash);
            _byHash[hash] = group;
            All.Add(group);
            return group;
        }
    }

    /// <summary>What one batch brings to one group: entries to merge and the batch events behind them.</summary>
    private sealed class GroupWork(string key, string?[] values, string text)
    {
        public string Key { get; } = key;

        public string?[] Values { get; } = values;

        public string Text { get; } = text;

        public List<CorrelationEntry> Entries { get; } = [];

        public List<(long Ticks, int Event)> Events { get; } = [];

        public GroupWork? NextWithSameHash { get; set; }

        public bool HasValues(EventBatch batch, int e, EcsField[] fields)
        {
            for (var g = 0; g < fields.Length; g++)
            {
                if (!batch.Get(e, fields[g]).SequenceEqual(Values[g]))
                {
                    return false;
                }
            }

            return true;
        }

        public IReadOnlyList<int> EventsWithin(long startTicks, long endTicks)
        {
            var events = new List<int>();
            foreach (var (ticks, e) in Events)
            {
                if (ticks >= startTicks && ticks <= endTicks && !events.Contains(e))
                {
                    events.Add(e);
                }
            }

            return events;
        }
    }
}
