namespace AlertPipeline.Core.Enrich;

/// <summary>Where threat indicators are kept (Table <c>indicators</c> in Azure, memory in the embedded mode).</summary>
public interface IIndicatorStore
{
    /// <summary>Every indicator that has not expired at <paramref name="asOf"/>.</summary>
    Task<IReadOnlyList<ThreatIndicator>> ListAsync(DateTimeOffset asOf, CancellationToken cancellationToken);
}

/// <summary>The embedded-mode twin of the Table store (seeded by <c>alertpipe replay --indicators</c>).</summary>
public sealed class InMemoryIndicatorStore(IEnumerable<ThreatIndicator> indicators) : IIndicatorStore
{
    private readonly ThreatIndicator[] _indicators = [.. indicators];

    /// <inheritdoc />
    public Task<IReadOnlyList<ThreatIndicator>> ListAsync(DateTimeOffset asOf, CancellationToken cancellationToken)
        => Task.FromResult<IReadOnlyList<ThreatIndicator>>([.. _indicators.Where(i => i.IsLiveAt(asOf))]);
}
