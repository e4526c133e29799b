using AlertPipeline.Core.Enrich;
using Microsoft.Extensions.Time.Testing;

namespace AlertPipeline.Core.Tests.Enrich;

public sealed class SandboxSnapshotProviderTests
{
    /// <summary>An inventory whose reads after the first wait until the test releases them (a slow Table).</summary>
    private sealed class SlowInventory : ISandboxInventory
    {
        public int Reads;
        public TaskCompletionSource<IReadOnlyList<SandboxRecord>> Next { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<IReadOnlyList<SandboxRecord>> ListAsync(CancellationToken cancellationToken)
            => Interlocked.Increment(ref Reads) == 1 ? Task.FromResult<IReadOnlyList<SandboxRecord>>([new SandboxRecord { Id = "v1" }]) : Next.Task;
    }

    [Fact]
    public async Task A_stale_snapshot_is_served_while_a_slow_reload_runs_in_the_background()
    {
        var time = new FakeTimeProvider();
        var inventory = new SlowInventory();
        var provider = new SandboxSnapshotProvider(inventory, TimeSpan.FromMinutes(1), time);
        Assert.NotNull((await provider.GetAsync(CancellationToken.None)).Find("v1"));

        time.Advance(TimeSpan.FromMinutes(2));
        var during = provider.GetAsync(CancellationToken.None);
        var again = provider.GetAsync(CancellationToken.None);

        // Both batches got the old snapshot at once, and only one reload was started.
        Assert.True(during.IsCompletedSuccessfully && again.IsCompletedSuccessfully);
        Assert.NotNull((await during).Find("v1"));

        inventory.Next.SetResult([new SandboxRecord { Id = "v2" }]);
        await provider.Refreshing;
        Assert.Equal(2, inventory.Reads);
        Assert.NotNull((await provider.GetAsync(CancellationToken.None)).Find("v2"));
    }

    [Fact]
    public async Task A_failed_reload_keeps_the_previous_snapshot()
    {
        var time = new FakeTimeProvider();
        var inventory = new SlowInventory();
        var provider = new SandboxSnapshotProvider(inventory, TimeSpan.FromMinutes(1), time);
        await provider.GetAsync(CancellationToken.None);

        time.Advance(TimeSpan.FromMinutes(2));
        await provider.GetAsync(CancellationToken.None);
        inventory.Next.SetException(new IOException("table unavailable"));
        await provider.Refreshing;

        Assert.NotNull((await provider.GetAsync(CancellationToken.None)).Find("v1"));
        Assert.Equal(2, inventory.Reads);
    }
}
