using AlertPipeline.Core.Enrich;
using Microsoft.Extensions.Time.Testing;

namespace AlertPipeline.Core.Tests.Enrich;

public sealed class IndicatorSetProviderTests
{
    /// <summary>A store whose reads after the first wait until the test releases them (a slow Table of 100k rows).</summary>
    private sealed class SlowStore(params ThreatIndicator[] first) : IIndicatorStore
    {
        public int Reads;
        public TaskCompletionSource<IReadOnlyList<ThreatIndicator>> Next { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<IReadOnlyList<ThreatIndicator>> ListAsync(DateTimeOffset asOf, CancellationToken cancellationToken)
            => Interlocked.Increment(ref Reads) == 1 ? Task.FromResult<IReadOnlyList<ThreatIndicator>>(first) : Next.Task;
    }

    private static ThreatIndicator Domain(string value, DateTimeOffset? expires = null)
        => new() { Value = value, Source = "feed", Kind = "threat-intel", Expires = expires };

    [Fact]
    public async Task A_stale_set_is_served_while_a_slow_reload_runs_in_the_background()
    {
        var time = new FakeTimeProvider();
        var store = new SlowStore(Domain("v1.example"));
        var provider = new IndicatorSetProvider(store, TimeSpan.FromMinutes(5), time);
        Assert.NotNull((await provider.GetAsync(CancellationToken.None)).MatchDomain("v1.example"));

        time.Advance(TimeSpan.FromMinutes(6));
        var during = provider.GetAsync(CancellationToken.None);
        var again = provider.GetAsync(CancellationToken.None);

        Assert.True(during.IsCompletedSuccessfully && again.IsCompletedSuccessfully);
        Assert.NotNull((await during).MatchDomain("v1.example"));

        store.Next.SetResult([Domain("v2.example")]);
        await provider.Refreshing;
        Assert.Equal(2, store.Reads);
        var current = await provider.GetAsync(CancellationToken.None);
        Assert.NotNull(current.MatchDomain("v2.example"));
        Assert.Null(current.MatchDomain("v1.example"));
    }

    [Fact]
    public async Task An_indicator_that_expires_starts_a_rebuild_before_the_interval()
    {
        var time = new FakeTimeProvider();
        var store = new SlowStore(Domain("short.example", time.GetUtcNow().AddMinutes(2)), Domain("long.example"));
        var provider = new IndicatorSetProvider(store, TimeSpan.FromHours(1), time);
        await provider.GetAsync(CancellationToken.None);

        time.Advance(TimeSpan.FromMinutes(1));
        await provider.GetAsync(CancellationToken.None);
        Assert.Equal(1, store.Reads);

        time.Advance(TimeSpan.FromMinutes(2));
        await provider.GetAsync(CancellationToken.None);
        store.Next.SetException(new IOException("table unavailable"));
        await provider.Refreshing;
        Assert.Equal(2, store.Reads);

        // A failed rebuild keeps the old set and waits for the interval rather than retrying on every batch.
        Assert.NotNull((await provider.GetAsync(CancellationToken.None)).MatchDomain("long.example"));
        Assert.Equal(2, store.Reads);
    }
}
