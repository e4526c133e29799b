using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace AlertPipeline.Core.Detect.Correlation;

/// <summary>The embedded-mode twin of the Table correlation state store: same ETag rules, copies in and out.</summary>
public sealed class InMemoryCorrelationStateStore : ICorrelationStateStore
{
    private readonly ConcurrentDictionary<(string RuleId, string GroupKey), CorrelationState> _states = new();
    private long _version;

    /// <summary>Number of stored groups (for tests and diagnostics).</summary>
    public int Count => _states.Count;

    /// <inheritdoc />
    public Task<CorrelationState?> GetAsync(string ruleId, string groupKey, CancellationToken cancellationToken)
        => Task.FromResult(_states.TryGetValue((ruleId, groupKey), out var state) ? state.Clone() : null);

    /// <inheritdoc />
    public Task<bool> TryWriteAsync(CorrelationState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var key = (state.RuleId, state.GroupKey);
        var stored = state.Clone();
        stored.ETag = Interlocked.Increment(ref _version).ToString(CultureInfo.InvariantCulture);
        bool written;
        if (state.ETag is null)
        {
            written = _states.TryAdd(key, stored);
        }
        else
        {
            written = _states.TryGetValue(key, out var current) && current.ETag == state.ETag && _states.TryUpdate(key, stored, current);
        }

        if (written)
        {
            state.ETag = stored.ETag;
        }

        return Task.FromResult(written);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<CorrelationState> ListAsync(string ruleId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        foreach (var pair in _states.Where(p => p.Key.RuleId == ruleId).OrderBy(p => p.Key.GroupKey, StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return pair.Value.Clone();
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<CorrelationState> ListExpiredAsync(DateTimeOffset now, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        foreach (var pair in _states.Where(p => p.Value.ExpiresAt < now).OrderBy(p => p.Key.RuleId, StringComparer.Ordinal).ThenBy(p => p.Key.GroupKey, StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return pair.Value.Clone();
        }
    }

    /// <inheritdoc />
    public Task<bool> TryDeleteAsync(CorrelationState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var key = (state.RuleId, state.GroupKey);
        return Task.FromResult(_states.TryGetValue(key, out var current) && current.ETag == state.ETag
            && ((ICollection<KeyValuePair<(string, string), CorrelationState>>)_states).Remove(new(key, current)));
    }
}
