using System.Collections.Concurrent;

namespace AlertPipeline.Core.Detect;

/// <summary>The embedded-mode twin of the Table rule store.</summary>
public sealed class InMemoryRuleStore : IRuleStore
{
    private readonly ConcurrentDictionary<(string Pack, string Id), RuleRecord> _rules = new();
    private long _version;

    /// <inheritdoc />
    public Task<IReadOnlyList<RuleRecord>> ListAsync(string? pack, CancellationToken cancellationToken)
    {
        IReadOnlyList<RuleRecord> list = _rules.Values
            .Where(r => pack is null || r.Pack == pack)
            .OrderBy(r => r.Pack, StringComparer.Ordinal).ThenBy(r => r.Id, StringComparer.Ordinal)
            .ToList();
        return Task.FromResult(list);
    }

    /// <inheritdoc />
    public Task<RuleRecord?> GetAsync(string pack, string id, CancellationToken cancellationToken)
        => Task.FromResult(_rules.TryGetValue((pack, id), out var rule) ? rule : null);

    /// <inheritdoc />
    public Task<RuleRecord> UpsertAsync(RuleRecord rule, CancellationToken cancellationToken)
    {
        var stored = rule with { ETag = Interlocked.Increment(ref _version).ToString(System.Globalization.CultureInfo.InvariantCulture) };
        _rules[(rule.Pack, rule.Id)] = stored;
        return Task.FromResult(stored);
    }

    /// <inheritdoc />
    public Task<bool> DeleteAsync(string pack, string id, CancellationToken cancellationToken)
        => Task.FromResult(_rules.TryRemove((pack, id), out _));
}
