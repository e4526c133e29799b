using System.Text.Json;
using AlertPipeline.Adapters.Respond;
using AlertPipeline.Adapters.Tests.Storage;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Respond;
using Azure.Data.Tables;

namespace AlertPipeline.Adapters.Tests.Respond;

/// <summary>What every <see cref="IAlertStore"/> must do; run against the in-memory twin and against Table Storage.</summary>
public abstract class AlertStoreContract
{
    /// <summary>Base time of the test alerts.</summary>
    protected static readonly DateTimeOffset T0 = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>A fresh, empty store.</summary>
    protected abstract IAlertStore Store { get; }

    /// <summary>A fully populated alert with a hex id, as <see cref="AlertIds"/> makes them.</summary>
    protected static Alert NewAlert(string? id = null, DateTimeOffset? lastSeen = null) => new()
    {
        AlertId = id ?? AlertIds.For("rule-1", Guid.NewGuid().ToString(), T0, TimeSpan.FromMinutes(15)),
        RuleId = "rule-1",
        RulePack = "core",
        Title = "Sandbox reached the metadata endpoint",
        Level = AlertLevel.Critical,
        Tags = ["attack.t1552.005"],
        References = ["https://runbooks.example/imds"],
        Description = "A sandbox talked to 169.254.169.254.",
        SandboxId = "sbx-42",
        Mode = RuleMode.DryRun,
        FirstSeen = T0,
        LastSeen = lastSeen ?? T0.AddMinutes(1),
        EventCount = 3,
        Evidence = new(StringComparer.Ordinal) { ["destination.ip"] = "169.254.169.254", ["process.name"] = "curl" },
        Cursors = new(StringComparer.Ordinal) { ["hub/0"] = new EventCursor(10, 2) },
        Actions = [new ActionRecord { Channel = "email", Status = ActionStatus.Sent, Attempts = 1, Detail = "msg-1", UpdatedAt = T0 }],
        CreatedAt = T0,
        UpdatedAt = T0.AddMinutes(1),
    };

    /// <summary>The alert as JSON without its ETag, for whole-object comparison.</summary>
    protected static string Shape(Alert alert)
    {
        var etag = alert.ETag;
        alert.ETag = null;
        try
        {
            return JsonSerializer.Serialize(alert, AlertJson.Options);
        }
        finally
        {
            alert.ETag = etag;
        }
    }

    [Fact]
    public async Task TryAdd_sets_the_etag_and_get_returns_an_equal_alert()
    {
        var alert = NewAlert();

        Assert.True(await Store.TryAddAsync(alert, CancellationToken.None));
        var read = await Store.GetAsync(alert.AlertId, CancellationToken.None);

        Assert.False(string.IsNullOrEmpty(alert.ETag));
        Assert.NotNull(read);
        Assert.Equal(alert.ETag, read.ETag);
        Assert.Equal(Shape(alert), Shape(read));
    }

    [Fact]
    public async Task Get_of_a_missing_alert_is_null()
    {
        Assert.Null(await Store.GetAsync("ffffffffffffffffffffffffffffffff", CancellationToken.None));
    }

    [Fact]
    public async Task TryAdd_of_an_existing_id_is_false_and_keeps_the_first()
    {
        var first = NewAlert();
        var second = NewAlert(first.AlertId);
        second.EventCount = 99;

        Assert.True(await Store.TryAddAsync(first, CancellationToken.None));
        Assert.False(await Store.TryAddAsync(second, CancellationToken.None));

        Assert.Equal(3, (await Store.GetAsync(first.AlertId, CancellationToken.None))!.EventCount);
    }

    [Fact]
    public async Task TryUpdate_with_the_current_etag_replaces_and_changes_the_etag()
    {
        var alert = NewAlert();
        await Store.TryAddAsync(alert, CancellationToken.None);
        var added = alert.ETag;
        alert.EventCount = 4;
        alert.Actions.Add(new ActionRecord { Channel = "teams", Status = ActionStatus.Failed, Attempts = 2, Detail = "429" });

        Assert.True(await Store.TryUpdateAsync(alert, CancellationToken.None));
        var read = await Store.GetAsync(alert.AlertId, CancellationToken.None);

        Assert.NotEqual(added, alert.ETag);
        Assert.Equal(alert.ETag, read!.ETag);
        Assert.Equal(Shape(alert), Shape(read));
    }

    [Fact]
    public async Task TryUpdate_with_a_stale_etag_is_false_and_changes_nothing()
    {
        var alert = NewAlert();
        await Store.TryAddAsync(alert, CancellationToken.None);
        var stale = (await Store.GetAsync(alert.AlertId, CancellationToken.None))!;
        alert.EventCount = 5;
        Assert.True(await Store.TryUpdateAsync(alert, CancellationToken.None));

        stale.EventCount = 50;
        var staleETag = stale.ETag;

        Assert.False(await Store.TryUpdateAsync(stale, CancellationToken.None));
        Assert.Equal(staleETag, stale.ETag);
        Assert.Equal(5, (await Store.GetAsync(alert.AlertId, CancellationToken.None))!.EventCount);
    }

    [Fact]
    public async Task TryUpdate_of_an_alert_never_stored_is_false()
    {
        var stored = NewAlert();
        await Store.TryAddAsync(stored, CancellationToken.None);
        var neverStored = NewAlert();
        var borrowed = NewAlert();
        borrowed.ETag = stored.ETag;

        Assert.False(await Store.TryUpdateAsync(neverStored, CancellationToken.None));
        Assert.False(await Store.TryUpdateAsync(borrowed, CancellationToken.None));
        Assert.Null(await Store.GetAsync(borrowed.AlertId, CancellationToken.None));
    }

    [Fact]
    public async Task Two_copies_updated_in_turn_the_first_wins_the_second_is_refused()
    {
        var alert = NewAlert();
        await Store.TryAddAsync(alert, CancellationToken.None);
        var a = (await Store.GetAsync(alert.AlertId, CancellationToken.None))!;
        var b = (await Store.GetAsync(alert.AlertId, CancellationToken.None))!;
        a.EventCount = 10;
        b.EventCount = 20;

        Assert.True(await Store.TryUpdateAsync(a, CancellationToken.None));
        Assert.False(await Store.TryUpdateAsync(b, CancellationToken.None));

        Assert.Equal(10, (await Store.GetAsync(alert.AlertId, CancellationToken.None))!.EventCount);
    }

    [Fact]
    public async Task Concurrent_updates_of_one_version_let_exactly_one_through()
    {
        var alert = NewAlert();
        await Store.TryAddAsync(alert, CancellationToken.None);
        var copies = new List<Alert>();
        for (var i = 0; i < 8; i++)
        {
            var copy = (await Store.GetAsync(alert.AlertId, CancellationToken.None))!;
            copy.EventCount = 100 + i;
            copies.Add(copy);
        }

        var results = await Task.WhenAll(copies.Select(c => Task.Run(() => Store.TryUpdateAsync(c, CancellationToken.None))));

        Assert.Single(results, r => r);
        var winner = copies[Array.IndexOf(results, true)];
        Assert.Equal(winner.EventCount, (await Store.GetAsync(alert.AlertId, CancellationToken.None))!.EventCount);
    }

    [Fact]
    public async Task Get_returns_a_copy_that_callers_cannot_use_to_change_the_store()
    {
        var alert = NewAlert();
        await Store.TryAddAsync(alert, CancellationToken.None);

        var read = (await Store.GetAsync(alert.AlertId, CancellationToken.None))!;
        read.EventCount = 1000;
        read.Evidence["x"] = "y";

        var again = (await Store.GetAsync(alert.AlertId, CancellationToken.None))!;
        Assert.Equal(3, again.EventCount);
        Assert.False(again.Evidence.ContainsKey("x"));
    }

    [Fact]
    public async Task List_is_newest_last_seen_first_and_honours_max()
    {
        var ids = new[] { "aa01", "bb02", "cc03", "dd04" };
        var minutes = new[] { 5, 30, 10, 20 };
        for (var i = 0; i < ids.Length; i++)
        {
            await Store.TryAddAsync(NewAlert(ids[i], T0.AddMinutes(minutes[i])), CancellationToken.None);
        }

        var top3 = await Store.ListAsync(3, CancellationToken.None);
        var all = await Store.ListAsync(100, CancellationToken.None);

        Assert.Equal(["bb02", "dd04", "cc03"], top3.Select(a => a.AlertId));
        Assert.Equal(["bb02", "dd04", "cc03", "aa01"], all.Select(a => a.AlertId));
        Assert.All(all, a => Assert.False(string.IsNullOrEmpty(a.ETag)));
        Assert.Empty(await Store.ListAsync(0, CancellationToken.None));
    }

    [Fact]
    public async Task List_reflects_updates_to_last_seen()
    {
        var older = NewAlert("aa01", T0);
        var newer = NewAlert("bb02", T0.AddMinutes(1));
        await Store.TryAddAsync(older, CancellationToken.None);
        await Store.TryAddAsync(newer, CancellationToken.None);
        older.LastSeen = T0.AddMinutes(2);
        await Store.TryUpdateAsync(older, CancellationToken.None);

        var list = await Store.ListAsync(10, CancellationToken.None);

        Assert.Equal(["aa01", "bb02"], list.Select(a => a.AlertId));
    }
}

/// <summary>The contract against <see cref="InMemoryAlertStore"/>.</summary>
public sealed class InMemoryAlertStoreTests : AlertStoreContract
{
    protected override IAlertStore Store { get; } = new InMemoryAlertStore();
}

/// <summary>The contract against <see cref="TableAlertStore"/> on Azurite, plus the table layout and size limits.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class TableAlertStoreTests(AzuriteFixture azurite) : AlertStoreContract
{
    private readonly string _tableName = AzuriteFixture.UniqueTableName("alerts");
    private TableAlertStore? _store;

    protected override IAlertStore Store => _store ??= new TableAlertStore(azurite.TableService, _tableName);

    private TableClient Table => azurite.TableService.GetTableClient(_tableName);

    [Fact]
    public async Task Rows_are_keyed_by_id_prefix_and_carry_the_query_columns()
    {
        var alert = NewAlert();
        await Store.TryAddAsync(alert, CancellationToken.None);

        var entity = (await Table.GetEntityAsync<TableEntity>(alert.AlertId[..2], alert.AlertId)).Value;

        Assert.Equal("rule-1", entity.GetString("RuleId"));
        Assert.Equal("critical", entity.GetString("Level"));
        Assert.Equal("sbx-42", entity.GetString("SandboxId"));
        Assert.Equal(alert.FirstSeen, entity.GetDateTimeOffset("FirstSeen"));
        Assert.Equal(alert.LastSeen, entity.GetDateTimeOffset("LastSeen"));
        Assert.Equal(3L, entity.GetInt64("EventCount"));
        Assert.Equal("dry-run", entity.GetString("Mode"));
        Assert.Equal(alert.Title, entity.GetString("Title"));
        Assert.StartsWith("{", entity.GetString("Json0"), StringComparison.Ordinal);
        Assert.False(entity.ContainsKey("Json1"));

        // The scalar columns are queryable server-side, which is why they exist.
        var critical = await Table.QueryAsync<TableEntity>(filter: "Level eq 'critical' and SandboxId eq 'sbx-42'").ToListAsync();
        Assert.Single(critical);
    }

    [Fact]
    public async Task A_document_over_one_property_is_split_across_columns_and_read_back_whole()
    {
        var alert = NewAlert();
        for (var i = 0; i < 30; i++)
        {
            // ~150K characters in all: several 32K columns, and still evidence the store need not trim.
            alert.Evidence[$"field{i}"] = new string((char)('a' + (i % 26)), 200) + "😀" + new string('z', 4800);
        }

        Assert.True(await Store.TryAddAsync(alert, CancellationToken.None));
        var entity = (await Table.GetEntityAsync<TableEntity>(alert.AlertId[..2], alert.AlertId)).Value;
        var read = await Store.GetAsync(alert.AlertId, CancellationToken.None);

        Assert.True(entity.ContainsKey("Json4"));
        Assert.Equal(Shape(alert), Shape(read!));
    }

    [Fact]
    public async Task A_document_over_the_entity_limit_is_stored_with_trimmed_evidence()
    {
        var alert = NewAlert();
        for (var i = 0; i < 40; i++)
        {
            alert.Evidence[$"field{i}"] = new string('x', 30_000);
        }

        Assert.True(await Store.TryAddAsync(alert, CancellationToken.None));
        var read = (await Store.GetAsync(alert.AlertId, CancellationToken.None))!;

        // The caller's alert is untouched; only the stored copy is trimmed.
        Assert.Equal(30_000, alert.Evidence["field0"].Length);
        Assert.Equal(alert.Evidence.Keys.Order(StringComparer.Ordinal), read.Evidence.Keys.Order(StringComparer.Ordinal));
        Assert.All(read.Evidence.Values, v => Assert.True(v.Length <= 256));
        Assert.Equal(alert.EventCount, read.EventCount);
        Assert.Equal(alert.Actions.Count, read.Actions.Count);
    }

    [Fact]
    public async Task An_update_that_shrinks_the_document_leaves_no_stale_columns()
    {
        var alert = NewAlert();
        alert.Evidence["big"] = new string('x', 100_000);
        await Store.TryAddAsync(alert, CancellationToken.None);
        alert.Evidence.Remove("big");

        Assert.True(await Store.TryUpdateAsync(alert, CancellationToken.None));
        var entity = (await Table.GetEntityAsync<TableEntity>(alert.AlertId[..2], alert.AlertId)).Value;

        Assert.False(entity.ContainsKey("Json1"));
        Assert.Equal(Shape(alert), Shape((await Store.GetAsync(alert.AlertId, CancellationToken.None))!));
    }
}
