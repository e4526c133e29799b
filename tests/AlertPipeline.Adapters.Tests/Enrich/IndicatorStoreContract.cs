using System.Text.Json;
using AlertPipeline.Adapters.Enrich;
using AlertPipeline.Adapters.Tests.Storage;
using AlertPipeline.Core.Enrich;
using Azure.Data.Tables;

namespace AlertPipeline.Adapters.Tests.Enrich;

/// <summary>What every <see cref="IIndicatorStore"/> must return; run against the in-memory twin and against Table Storage.</summary>
public abstract class IndicatorStoreContract
{
    /// <summary>The time the tests list at.</summary>
    protected static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>A store holding exactly <paramref name="indicators"/>.</summary>
    protected abstract Task<IIndicatorStore> CreateAsync(IReadOnlyList<ThreatIndicator> indicators);

    /// <summary>Indicators compared by value.</summary>
    protected static string Shape(ThreatIndicator i) => JsonSerializer.Serialize(i);

    [Fact]
    public async Task Lists_every_live_indicator_with_every_field()
    {
        ThreatIndicator[] live =
        [
            new() { Value = "supportxmr.com", Source = "mining-pools", Kind = "mining-pool", Description = "Monero pool, port 3333", Expires = Now.AddDays(30) },
            new() { Value = "198.51.100.0/24", Source = "feed-a", Kind = "threat-intel" },
            new() { Value = "2001:db8:bad::/48", Source = "feed-a", Kind = "threat-intel", Expires = Now.AddSeconds(1) },
            new() { Value = "198.51.100.0/24", Source = "feed-b", Kind = "tunnel-service" },
        ];

        var store = await CreateAsync(live);
        var listed = await store.ListAsync(Now, CancellationToken.None);

        Assert.Equal(live.Select(Shape).Order(StringComparer.Ordinal), listed.Select(Shape).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Expired_indicators_are_not_listed()
    {
        var store = await CreateAsync(
        [
            new() { Value = "old.example", Source = "feed", Kind = "threat-intel", Expires = Now.AddDays(-1) },
            new() { Value = "203.0.113.9", Source = "feed", Kind = "threat-intel", Expires = Now },
            new() { Value = "new.example", Source = "feed", Kind = "threat-intel", Expires = Now.AddMinutes(1) },
        ]);

        var listed = await store.ListAsync(Now, CancellationToken.None);

        Assert.Equal(["new.example"], listed.Select(i => i.Value));
    }

    [Fact]
    public async Task An_empty_store_lists_nothing()
    {
        var store = await CreateAsync([]);

        Assert.Empty(await store.ListAsync(Now, CancellationToken.None));
    }
}

/// <summary>The contract against <see cref="InMemoryIndicatorStore"/>.</summary>
public sealed class InMemoryIndicatorStoreTests : IndicatorStoreContract
{
    protected override Task<IIndicatorStore> CreateAsync(IReadOnlyList<ThreatIndicator> indicators)
        => Task.FromResult<IIndicatorStore>(new InMemoryIndicatorStore(indicators));
}

/// <summary>The contract against <see cref="TableIndicatorStore"/> on Azurite, plus upsert semantics and the stored shape.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class TableIndicatorStoreTests(AzuriteFixture azurite) : IndicatorStoreContract
{
    private readonly string _tableName = AzuriteFixture.UniqueTableName("indicators");

    private TableIndicatorStore NewStore() => new(azurite.TableService, _tableName);

    protected override async Task<IIndicatorStore> CreateAsync(IReadOnlyList<ThreatIndicator> indicators)
    {
        var store = NewStore();
        foreach (var indicator in indicators)
        {
            await store.UpsertAsync(indicator, CancellationToken.None);
        }

        return store;
    }

    [Fact]
    public async Task Upsert_replaces_the_row_of_the_same_source_and_value()
    {
        var store = NewStore();
        await store.UpsertAsync(new ThreatIndicator { Value = "10.9.0.0/16", Source = "feed", Kind = "threat-intel", Description = "old", Expires = Now.AddDays(1) }, CancellationToken.None);

        await store.UpsertAsync(new ThreatIndicator { Value = "10.9.0.0/16", Source = "feed", Kind = "mining-pool" }, CancellationToken.None);

        var listed = Assert.Single(await store.ListAsync(Now, CancellationToken.None));
        Assert.Equal("mining-pool", listed.Kind);
        Assert.Null(listed.Description);
        Assert.Null(listed.Expires);
    }

    [Fact]
    public async Task Rows_use_the_documented_keys_and_columns()
    {
        await NewStore().UpsertAsync(new ThreatIndicator { Value = "2001:db8::/32", Source = "feed-a", Kind = "threat-intel", Expires = Now }, CancellationToken.None);

        var entity = (await azurite.TableService.GetTableClient(_tableName).GetEntityAsync<TableEntity>("feed-a", "2001:db8::_32")).Value;

        Assert.Equal("2001:db8::/32", entity.GetString("Value"));
        Assert.Equal("threat-intel", entity.GetString("Kind"));
        Assert.Equal(Now, entity.GetDateTimeOffset("Expires"));
    }

    [Fact]
    public async Task A_source_that_cannot_be_a_key_is_refused_by_name()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => NewStore().UpsertAsync(
            new ThreatIndicator { Value = "a.example", Source = "feeds/a", Kind = "threat-intel" }, CancellationToken.None));

        Assert.Contains("indicator source", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rows_written_by_hand_without_a_value_are_skipped()
    {
        var table = azurite.TableService.GetTableClient(_tableName);
        await table.CreateIfNotExistsAsync();
        await table.AddEntityAsync(new TableEntity("feed", "bare"));
        await table.AddEntityAsync(new TableEntity("feed", "ok") { ["Value"] = "ok.example", ["Kind"] = "threat-intel" });

        var listed = Assert.Single(await NewStore().ListAsync(Now, CancellationToken.None));

        Assert.Equal("ok.example", listed.Value);
    }
}
