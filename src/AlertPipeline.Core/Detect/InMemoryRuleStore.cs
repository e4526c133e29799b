using System.Globalization;

namespace AlertPipeline.Core.Detect;

/// <summary>The embedded-mode twin of the Table rule store.</summary>
public sealed class InMemoryRuleStore : IRuleStore
{
    // One lock for check-and-write: a conditional write is only as good as the atomicity of its check.
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Pack, string Id), RuleRecord> _rules = [];
    private long _version;

    /// <inheritdoc />
    public Task<IReadOnlyList<RuleRecord>> ListAsync(string? pack, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyList<RuleRecord> list = _rules.Values
                .Where(r => pack is null || r.Pack == pack)
                .OrderBy(r => r.Pack, StringComparer.Ordinal).ThenBy(r => r.Id, StringComparer.Ordinal)
                .ToList();
            return Task.FromResult(list);
        }
    }

    /// <inheritdoc />
    public Task<RuleRecord?> GetAsync(string pack, string id, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_rules.TryGetValue((pack, id), out var rule) ? rule : null);
        }
    }

    /// <inheritdoc />
    public Task<RuleRecord> UpsertAsync(RuleRecord rule, CancellationToken cancellationToken)
        => Task.FromResult(Write(rule, _ => null).Rule!);

    /// <inheritdoc />
    public Task<bool> DeleteAsync(string pack, string id, CancellationToken cancellationToken)
        => Task.FromResult(Remove(pack, id, ifMatch: null).Succeeded);

    /// <inheritdoc />
    public Task<RuleWriteResult> CreateAsync(RuleRecord rule, CancellationToken cancellationToken)
        => Task.FromResult(Write(rule, current => current is null ? null : RuleWriteResult.Exists));

    /// <inheritdoc />
    public Task<RuleWriteResult> ReplaceAsync(RuleRecord rule, string ifMatch, CancellationToken cancellationToken)
    {
        RuleWriteResult.RequireETag(ifMatch);
        return Task.FromResult(Write(rule, current => Check(current, ifMatch)));
    }

    /// <inheritdoc />
    public Task<RuleWriteResult> DeleteAsync(string pack, string id, string ifMatch, CancellationToken cancellationToken)
    {
        RuleWriteResult.RequireETag(ifMatch);
        return Task.FromResult(Remove(pack, id, ifMatch));
    }

    private static RuleWriteResult? Check(RuleRecord? current, string ifMatch) =>
        current is null ? RuleWriteResult.Missing
        : current.ETag != ifMatch ? RuleWriteResult.StaleETag
        : null;

    /// <summary>Every write: <paramref name="refuse"/> sees the current row under the lock and returns null to allow the write.</summary>
    private RuleWriteResult Write(RuleRecord rule, Func<RuleRecord?, RuleWriteResult?> refuse)
    {
        ArgumentNullException.ThrowIfNull(rule);
        lock (_gate)
        {
            _rules.TryGetValue((rule.Pack, rule.Id), out var current);
            if (refuse(current) is { } refused)
            {
                return refused;
            }

            // Quoted, so the ETag is a valid HTTP entity tag as it is (the Table service's are too).
            var stored = rule with { ETag = $"\"{(++_version).ToString(CultureInfo.InvariantCulture)}\"" };
            _rules[(rule.Pack, rule.Id)] = stored;
            return RuleWriteResult.Stored(stored);
        }
    }

    private RuleWriteResult Remove(string pack, string id, string? ifMatch)
    {
        lock (_gate)
        {
            _rules.TryGetValue((pack, id), out var current);
            var refused = ifMatch is null ? (current is null ? RuleWriteResult.Missing : null) : Check(current, ifMatch);
            if (refused is not null)
            {
                return refused;
            }

            _rules.Remove((pack, id));
            return RuleWriteResult.Deleted;
        }
    }
}
