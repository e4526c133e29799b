using AlertPipeline.Adapters.Respond;
using AlertPipeline.Adapters.Tests.Storage;
using AlertPipeline.Core.Respond.Approvals;

namespace AlertPipeline.Adapters.Tests.Respond;

/// <summary>What every <see cref="IActionNonceStore"/> must do; run against the in-memory twin and Table Storage.</summary>
public abstract class ActionNonceStoreContract
{
    private const string Key = "YWN0aW9uLWxpbmstdGVzdC1rZXktMzItYnl0ZXMtbG9uZyE=";
    private static readonly DateTimeOffset T0 = new(2025, 11, 14, 3, 20, 0, TimeSpan.Zero);

    /// <summary>Two handles on one fresh store, as two instances of the app would have.</summary>
    protected abstract (IActionNonceStore A, IActionNonceStore B) Stores { get; }

    private static ActionLink Link(string alertId = "5f0c3e9a7b21d4e8", AlertAction action = AlertAction.Approve)
        => new ActionLinkSigner(Key, "a1").Sign(alertId, action, TimeSpan.FromHours(1), "ops@example.com");

    [Fact]
    public async Task A_nonce_is_spent_once_across_instances()
    {
        var (a, b) = Stores;
        var link = Link();

        Assert.False(await b.IsUsedAsync(link, CancellationToken.None));
        Assert.True(await a.TryConsumeAsync(link, T0, CancellationToken.None));
        Assert.True(await b.IsUsedAsync(link, CancellationToken.None));
        Assert.False(await b.TryConsumeAsync(link, T0.AddSeconds(1), CancellationToken.None));
        Assert.False(await a.TryConsumeAsync(link, T0.AddSeconds(2), CancellationToken.None));
    }

    [Fact]
    public async Task Links_are_independent_of_each_other()
    {
        var (a, b) = Stores;
        var first = Link();
        var second = Link();
        var otherAlert = first with { AlertId = "0f0f0f0f0f0f0f0f" };

        Assert.True(await a.TryConsumeAsync(first, T0, CancellationToken.None));
        Assert.False(await b.IsUsedAsync(second, CancellationToken.None));
        Assert.True(await b.TryConsumeAsync(second, T0, CancellationToken.None));
        Assert.True(await a.TryConsumeAsync(otherAlert, T0, CancellationToken.None));
    }

    [Fact]
    public async Task Racing_clicks_spend_a_link_exactly_once()
    {
        var (a, b) = Stores;
        var link = Link();

        var spent = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => Task.Run(() => (i % 2 == 0 ? a : b).TryConsumeAsync(link, T0, CancellationToken.None))));

        Assert.Single(spent, s => s);
    }
}

/// <summary>The contract against <see cref="InMemoryActionNonceStore"/>.</summary>
public sealed class InMemoryActionNonceStoreTests : ActionNonceStoreContract
{
    private readonly InMemoryActionNonceStore _store = new();

    protected override (IActionNonceStore A, IActionNonceStore B) Stores => (_store, _store);
}

/// <summary>The contract against <see cref="TableActionNonceStore"/> on Azurite: two store objects over one table.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class TableActionNonceStoreTests(AzuriteFixture azurite) : ActionNonceStoreContract
{
    private readonly string _table = AzuriteFixture.UniqueTableName("nonces");

    protected override (IActionNonceStore A, IActionNonceStore B) Stores
        => (new TableActionNonceStore(azurite.TableService, _table), new TableActionNonceStore(azurite.TableService, _table));
}
