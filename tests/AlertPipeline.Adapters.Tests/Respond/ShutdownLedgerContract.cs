using AlertPipeline.Adapters.Respond;
using AlertPipeline.Adapters.Tests.Storage;
using AlertPipeline.Core.Respond.Shutdown;

namespace AlertPipeline.Adapters.Tests.Respond;

/// <summary>What every <see cref="IShutdownLedger"/> must do; run against the in-memory twin and Table Storage.</summary>
public abstract class ShutdownLedgerContract
{
    private static readonly DateTimeOffset T0 = new(2025, 11, 14, 3, 20, 0, TimeSpan.Zero);
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    /// <summary>Two handles on one fresh ledger, as two instances of the app would have.</summary>
    protected abstract (IShutdownLedger A, IShutdownLedger B) Ledgers { get; }

    private static ShutdownOrder Order(string sandbox, string alert, DateTimeOffset at) => new(sandbox, alert, "cmd-" + alert, at, at.AddMinutes(10));

    [Fact]
    public async Task One_standing_order_per_sandbox_until_it_expires_whichever_instance_asks()
    {
        var (a, b) = Ledgers;

        var first = await a.TryReserveAsync(Order("sbx-1", "miner", T0), 10, Hour, CancellationToken.None);
        var second = await b.TryReserveAsync(Order("sbx-1", "tunnel", T0.AddMinutes(1)), 10, Hour, CancellationToken.None);
        var same = await b.TryReserveAsync(Order("sbx-1", "miner", T0.AddMinutes(2)), 10, Hour, CancellationToken.None);
        var later = await b.TryReserveAsync(Order("sbx-1", "later", T0.AddMinutes(11)), 10, Hour, CancellationToken.None);

        Assert.Equal(ShutdownReservation.Reserved, first.Reservation);
        Assert.Equal((ShutdownReservation.AlreadyOrdered, "miner"), (second.Reservation, second.Standing?.AlertId));
        Assert.Equal(ShutdownReservation.AlreadyOrdered, same.Reservation);
        Assert.Equal((ShutdownReservation.Reserved, 2), (later.Reservation, later.WindowCount));
    }

    [Fact]
    public async Task The_cap_is_shared_by_every_instance_and_a_new_window_starts_afresh()
    {
        var (a, b) = Ledgers;

        Assert.Equal(ShutdownReservation.Reserved, (await a.TryReserveAsync(Order("sbx-1", "x1", T0), 2, Hour, CancellationToken.None)).Reservation);
        Assert.Equal(ShutdownReservation.Reserved, (await b.TryReserveAsync(Order("sbx-2", "x2", T0), 2, Hour, CancellationToken.None)).Reservation);
        var capped = await a.TryReserveAsync(Order("sbx-3", "x3", T0), 2, Hour, CancellationToken.None);
        Assert.Equal(ShutdownReservation.CapReached, capped.Reservation);

        // The capped sandbox holds no standing order, so an approved or later command is not blocked by it.
        Assert.Equal(ShutdownReservation.Reserved, (await b.TryReserveAsync(Order("sbx-3", "x3", T0.AddHours(1)), 2, Hour, CancellationToken.None)).Reservation);
    }

    [Fact]
    public async Task Racing_instances_never_exceed_the_cap()
    {
        var (a, b) = Ledgers;

        var decisions = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => Task.Run(() =>
            (i % 2 == 0 ? a : b).TryReserveAsync(Order($"sbx-{i}", $"r{i}", T0), 5, Hour, CancellationToken.None))));

        Assert.Equal(5, decisions.Count(d => d.Reservation == ShutdownReservation.Reserved));
        Assert.Equal(7, decisions.Count(d => d.Reservation == ShutdownReservation.CapReached));
    }

    [Fact]
    public async Task A_released_reservation_frees_its_place_and_its_sandbox()
    {
        var (a, b) = Ledgers;
        var order = Order("sbx-1", "x1", T0);

        await a.TryReserveAsync(order, 1, Hour, CancellationToken.None);
        await a.ReleaseAsync(order, Hour, CancellationToken.None);

        Assert.Equal(ShutdownReservation.Reserved, (await b.TryReserveAsync(Order("sbx-1", "x2", T0), 1, Hour, CancellationToken.None)).Reservation);
    }
}

/// <summary>The contract against <see cref="InMemoryShutdownLedger"/> (one object is what instances share in memory).</summary>
public sealed class InMemoryShutdownLedgerTests : ShutdownLedgerContract
{
    private readonly InMemoryShutdownLedger _ledger = new();

    protected override (IShutdownLedger A, IShutdownLedger B) Ledgers => (_ledger, _ledger);
}

/// <summary>The contract against <see cref="TableShutdownLedger"/> on Azurite: two ledger objects over one table.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class TableShutdownLedgerTests(AzuriteFixture azurite) : ShutdownLedgerContract
{
    private readonly string _table = AzuriteFixture.UniqueTableName("ledger");

    protected override (IShutdownLedger A, IShutdownLedger B) Ledgers
        => (new TableShutdownLedger(azurite.TableService, _table), new TableShutdownLedger(azurite.TableService, _table));
}
