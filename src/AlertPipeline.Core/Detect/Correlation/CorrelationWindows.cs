namespace AlertPipeline.Core.Detect.Correlation;

/// <summary>A satisfied window: its identity (<see cref="KeyTicks"/>), bounds and count.</summary>
internal readonly record struct WindowHit(long KeyTicks, long StartTicks, long EndTicks, long Count);

/// <summary>
/// The window arithmetic of correlations, on one group's sorted entries. Pure and synchronous so tests can drive
/// it directly. Two kinds of judgement:
/// <list type="bullet">
/// <item>Conditions with only a lower bound (<c>gt</c>, <c>gte</c>, and temporal) hold on a sliding window: every
/// window of <c>timespan</c> ending at an entry is judged as entries arrive. Overlapping satisfied windows form one
/// episode, identified by the start of its first satisfied window, so one burst makes one alert.</item>
/// <item>Any other condition (<c>lt</c>, <c>lte</c>, <c>eq</c>, <c>neq</c>, ranges) can only be judged once a window
/// can no longer grow, so it is judged on fixed windows aligned to multiples of <c>timespan</c>, when the event
/// time seen (or, for the sweep, the clock) has passed the window's end plus the allowed lateness. Only windows with
/// at least one entry exist: "fewer than N" never fires for a group that went completely silent.</item>
/// </list>
/// </summary>
internal static class CorrelationWindows
{
    /// <summary>
    /// Adds <paramref name="incoming"/> to the state. Returns how many were new; <paramref name="earliestNew"/> is the
    /// time of the earliest one. Duplicates (same key) are skipped; so are events later than <paramref name="lateness"/>
    /// behind the latest time already stored, and events in windows already judged or evicted.
    /// </summary>
    public static int Merge(CorrelationState state, IReadOnlyList<CorrelationEntry> incoming, CompiledCorrelation correlation, TimeSpan lateness, out long earliestNew, out int tooLate)
    {
        var floor = long.MinValue;
        if (state.Entries.Count > 0 || state.MaxTicks != 0)
        {
            floor = state.MaxTicks - lateness.Ticks;
        }

        if (state.EvictedThroughTicks != 0)
        {
            floor = Math.Max(floor, state.EvictedThroughTicks + 1);
        }

        if (!correlation.IsMonotonic && state.ClosedThroughTicks != 0)
        {
            floor = Math.Max(floor, state.ClosedThroughTicks);
        }

        var keys = new HashSet<ulong>(state.Entries.Count + incoming.Count);
        foreach (var entry in state.Entries)
        {
            keys.Add(entry.Key);
        }

        earliestNew = long.MaxValue;
        tooLate = 0;
        var added = 0;
        foreach (var entry in incoming)
        {
            if (entry.Ticks < floor)
            {
                tooLate++;
                continue;
            }

            if (!keys.Add(entry.Key))
            {
                continue;
            }

            state.Entries.Add(entry);
            added++;
            earliestNew = Math.Min(earliestNew, entry.Ticks);
            state.MaxTicks = Math.Max(state.MaxTicks, entry.Ticks);
        }

        if (added > 0)
        {
            state.Entries.Sort(static (a, b) => a.Ticks != b.Ticks ? a.Ticks.CompareTo(b.Ticks) : a.Key.CompareTo(b.Key));
        }

        return added;
    }

    /// <summary>
    /// Judges every sliding window that ends at an entry at or after <paramref name="fromTicks"/>, extending or
    /// starting episodes in the state; appends one hit per episode touched.
    /// </summary>
    public static void EvaluateSliding(CorrelationState state, CompiledCorrelation correlation, long fromTicks, List<WindowHit> hits)
    {
        var entries = state.Entries;
        var span = correlation.Definition.Timespan.Ticks;
        var condition = correlation.Definition.Condition;
        var type = correlation.Definition.Type;
        var counter = new SlidingCounter(type, correlation.Inputs.Length);
        var start = 0;
        for (var end = 0; end < entries.Count; end++)
        {
            counter.Add(entries[end]);
            while (entries[start].Ticks < entries[end].Ticks - span)
            {
                counter.Remove(entries[start]);
                start++;
            }

            if (entries[end].Ticks < fromTicks)
            {
                continue;
            }

            var count = type == CorrelationType.TemporalOrdered ? OrderedPrefix(entries, start, end, correlation.Inputs.Length) : counter.Count;
            if (!condition.IsSatisfiedBy(count))
            {
                continue;
            }

            var windowStart = MatchStart(entries, start, end, type, correlation.Inputs.Length);
            var windowEnd = entries[end].Ticks;
            if (state.EpisodeKeyTicks != 0 && windowStart <= state.EpisodeEndTicks)
            {
                state.EpisodeStartTicks = Math.Min(state.EpisodeStartTicks, windowStart);
                state.EpisodeEndTicks = Math.Max(state.EpisodeEndTicks, windowEnd);
                state.EpisodeMax = Math.Max(state.EpisodeMax, count);
            }
            else
            {
                state.EpisodeKeyTicks = windowStart;
                state.EpisodeStartTicks = windowStart;
                state.EpisodeEndTicks = windowEnd;
                state.EpisodeMax = count;
            }

            var hit = new WindowHit(state.EpisodeKeyTicks, state.EpisodeStartTicks, state.EpisodeEndTicks, state.EpisodeMax);
            if (hits.Count > 0 && hits[^1].KeyTicks == hit.KeyTicks)
            {
                hits[^1] = hit;
            }
            else
            {
                hits.Add(hit);
            }
        }
    }

    /// <summary>
    /// Judges the fixed windows that closed by <paramref name="watermarkTicks"/> minus <paramref name="lateness"/> and
    /// were not judged before; appends a hit for each that satisfies the condition.
    /// </summary>
    public static void EvaluateClosed(CorrelationState state, CompiledCorrelation correlation, long watermarkTicks, TimeSpan lateness, List<WindowHit> hits)
    {
        var span = correlation.Definition.Timespan.Ticks;
        var closeLimit = watermarkTicks - lateness.Ticks;
        var entries = state.Entries;
        var i = 0;
        while (i < entries.Count)
        {
            var windowStart = entries[i].Ticks - Modulo(entries[i].Ticks, span);
            var windowEnd = windowStart + span;
            if (windowEnd > closeLimit)
            {
                break;
            }

            var j = i;
            while (j + 1 < entries.Count && entries[j + 1].Ticks < windowEnd)
            {
                j++;
            }

            if (windowEnd > state.ClosedThroughTicks)
            {
                var count = Measure(correlation, entries, i, j);
                if (correlation.Definition.Condition.IsSatisfiedBy(count))
                {
                    hits.Add(new WindowHit(windowStart, windowStart, windowEnd, count));
                }
            }

            i = j + 1;
        }

        if (closeLimit > 0)
        {
            state.ClosedThroughTicks = Math.Max(state.ClosedThroughTicks, closeLimit - Modulo(closeLimit, span));
        }
    }

    /// <summary>Drops entries no future window can use, then the oldest beyond <paramref name="maxEntries"/>.</summary>
    public static void Prune(CorrelationState state, CompiledCorrelation correlation, TimeSpan lateness, int maxEntries)
    {
        var floor = correlation.IsMonotonic
            ? state.MaxTicks - lateness.Ticks - correlation.Definition.Timespan.Ticks
            : state.ClosedThroughTicks;
        var drop = 0;
        while (drop < state.Entries.Count && state.Entries[drop].Ticks < floor)
        {
            drop++;
        }

        if (state.Entries.Count - drop > maxEntries)
        {
            // Past the cap the count saturates: the oldest entries go, and events as old as them are ignored from now on.
            var evict = state.Entries.Count - drop - maxEntries;
            drop += evict;
            state.EvictedThroughTicks = Math.Max(state.EvictedThroughTicks, state.Entries[drop - 1].Ticks);
        }

        if (drop > 0)
        {
            state.Entries.RemoveRange(0, drop);
        }
    }

    /// <summary>
    /// Where the match in a satisfied window begins: its first entry for counts; for temporal types the start of the
    /// latest set of rule matches that satisfies it, so the alert does not begin at unrelated earlier matches.
    /// </summary>
    private static long MatchStart(List<CorrelationEntry> entries, int start, int end, CorrelationType type, int inputs)
    {
        if (type == CorrelationType.TemporalOrdered)
        {
            var need = inputs - 1;
            for (var k = end; k >= start; k--)
            {
                if (entries[k].Input == need && --need < 0)
                {
                    return entries[k].Ticks;
                }
            }
        }
        else if (type == CorrelationType.Temporal)
        {
            Span<bool> seen = stackalloc bool[Math.Min(Math.Max(inputs, 1), 256)];
            var earliest = entries[end].Ticks;
            for (var k = end; k >= start; k--)
            {
                var input = entries[k].Input;
                if (input < seen.Length && !seen[input])
                {
                    seen[input] = true;
                    earliest = entries[k].Ticks;
                }
            }

            return earliest;
        }

        return entries[start].Ticks;
    }

    private static long Modulo(long ticks, long span) => ((ticks % span) + span) % span;

    /// <summary>The count of entries <paramref name="first"/>..<paramref name="last"/> for the correlation's type.</summary>
    private static long Measure(CompiledCorrelation correlation, List<CorrelationEntry> entries, int first, int last)
    {
        var type = correlation.Definition.Type;
        if (type == CorrelationType.TemporalOrdered)
        {
            return OrderedPrefix(entries, first, last, correlation.Inputs.Length);
        }

        var counter = new SlidingCounter(type, correlation.Inputs.Length);
        for (var k = first; k <= last; k++)
        {
            counter.Add(entries[k]);
        }

        return counter.Count;
    }

    /// <summary>How many of the inputs 0, 1, 2, … matched in that order within the window (greedy, earliest first).</summary>
    private static long OrderedPrefix(List<CorrelationEntry> entries, int first, int last, int inputs)
    {
        var next = 0;
        for (var k = first; k <= last && next < inputs; k++)
        {
            if (entries[k].Input == next)
            {
                next++;
            }
        }

        return next;
    }

    /// <summary>Counts a window as entries enter and leave it: events, distinct values or distinct inputs.</summary>
    private sealed class SlidingCounter(CorrelationType type, int inputs)
    {
        private readonly Dictionary<ulong, int> _values = [];
        private readonly int[] _perInput = new int[Math.Max(inputs, 1)];
        private int _events;
        private int _distinctInputs;

        public long Count => type switch
        {
            CorrelationType.EventCount => _events,
            CorrelationType.ValueCount => _values.Count,
            _ => _distinctInputs,
        };

        public void Add(CorrelationEntry entry)
        {
            _events++;
            if (type == CorrelationType.ValueCount)
            {
                _values[entry.Value] = _values.GetValueOrDefault(entry.Value) + 1;
            }
            else if (entry.Input < _perInput.Length && _perInput[entry.Input]++ == 0)
            {
                _distinctInputs++;
            }
        }

        public void Remove(CorrelationEntry entry)
        {
            _events--;
            if (type == CorrelationType.ValueCount)
            {
                var left = _values[entry.Value] - 1;
                if (left == 0)
                {
                    _values.Remove(entry.Value);
                }
                else
                {
                    _values[entry.Value] = left;
                }
            }
            else if (entry.Input < _perInput.Length && --_perInput[entry.Input] == 0)
            {
                _distinctInputs--;
            }
        }
    }
}
