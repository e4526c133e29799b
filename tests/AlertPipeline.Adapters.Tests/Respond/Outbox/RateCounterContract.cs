using AlertPipeline.Adapters.Respond.Outbox;
using AlertPipeline.Adapters.Tests.Storage;
using AlertPipeline.Core.Respond.Outbox;

namespace AlertPipeline.Adapters.Tests.Respond.Outbox;

/// <summary>What every <see cref="IRateCounter"/> must do; run against the in-memory twin and Table Storage.</summary>
public abstract class RateCounterContract
{
    private static readonly DateTimeOffset T0 = new(2025, 11, 14, 3, 21, 0, TimeSpan.Zero);
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(10);

    /// <summary>Two handles on one fresh counter, as two instances of the app would have.</summary>
    protected abstract (IRateCounter A, IRateCounter B) Counters { get; }

    [Fact]
    public async Task The_cap_holds_per_scope_and_window_across_instances()
    {
        var (a, b) = Counters;

        Assert.True(await a.TryTakeAsync("email", T0, Window, 2, CancellationToken.None));
        Assert.True(await b.TryTakeAsync("email", T0.AddMinutes(5), Window, 2, CancellationToken.None));
        Assert.False(await a.TryTakeAsync("email", T0.AddMinutes(8), Window, 2, CancellationToken.None));
        Assert.True(await b.TryTakeAsync("teams", T0, Window, 2, CancellationToken.None));
        Assert.True(await a.TryTakeAsync("email", T0.AddMinutes(10), Window, 2, CancellationToken.None));
    }

    [Fact]
    public async Task Racing_instances_never_exceed_the_cap()
    {
        var (a, b) = Counters;

        var taken = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => Task.Run(() => (i % 2 == 0 ? a : b).TryTakeAsync("email", T0, Window, 4, CancellationToken.None))));

        Assert.Equal(4, taken.Count(t => t));
    }
}

/// <summary>The contract against <see cref="InMemoryRateCounter"/>.</summary>
public sealed class InMemoryRateCounterTests : RateCounterContract
{
    private readonly InMemoryRateCounter _counter = new();

    protected override (IRateCounter A, IRateCounter B) Counters => (_counter, _counter);
}

/// <summary>The contract against <see cref="TableRateCounter"/> on Azurite: two counter objects over one table.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class TableRateCounterTests(AzuriteFixture azurite) : RateCounterContract
{
    private readonly string _table = AzuriteFixture.UniqueTableName("rates");

    protected override (IRateCounter A, IRateCounter B) Counters
        => (new TableRateCounter(azurite.TableService, _table), new TableRateCounter(azurite.TableService, _table));
}
