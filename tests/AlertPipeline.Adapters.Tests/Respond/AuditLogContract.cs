using AlertPipeline.Adapters.Respond;
using AlertPipeline.Adapters.Tests.Storage;
using AlertPipeline.Core.Respond.Audit;

namespace AlertPipeline.Adapters.Tests.Respond;

/// <summary>What every <see cref="IAuditLog"/> must do; run against the in-memory twin and Table Storage.</summary>
public abstract class AuditLogContract
{
    private static readonly DateTimeOffset T0 = new(2025, 11, 14, 23, 50, 0, TimeSpan.Zero);

    /// <summary>A fresh, empty log.</summary>
    protected abstract IAuditLog Log { get; }

    private static AuditEntry Entry(string id, string alert, string sandbox, DateTimeOffset at, string outcome = "sent", AuditKind kind = AuditKind.Notification) => new()
    {
        EntryId = id,
        At = at,
        Kind = kind,
        AlertId = alert,
        SandboxId = sandbox,
        Action = kind == AuditKind.Command ? "shutdown" : "email",
        Outcome = outcome,
        Detail = "detail of " + id,
    };

    [Fact]
    public async Task An_alerts_entries_come_oldest_first_whatever_order_they_were_recorded_in_and_max_cuts_the_newest()
    {
        await Log.RecordAsync(Entry("e3", "a1", "sbx-1", T0.AddMinutes(3)), CancellationToken.None);
        await Log.RecordAsync(Entry("e1", "a1", "sbx-1", T0.AddMinutes(1), kind: AuditKind.Command), CancellationToken.None);
        await Log.RecordAsync(Entry("e2", "a1", "sbx-2", T0.AddMinutes(2)), CancellationToken.None);
        await Log.RecordAsync(Entry("other", "a2", "sbx-1", T0), CancellationToken.None);

        var all = await Log.ListByAlertAsync("a1", 10, CancellationToken.None);
        var two = await Log.ListByAlertAsync("a1", 2, CancellationToken.None);

        Assert.Equal(["e1", "e2", "e3"], all.Select(e => e.EntryId));
        Assert.Equal(Entry("e1", "a1", "sbx-1", T0.AddMinutes(1), kind: AuditKind.Command), all[0]);
        Assert.Equal(["e1", "e2"], two.Select(e => e.EntryId));
    }

    [Fact]
    public async Task A_sandboxs_entries_since_a_time_span_days_and_leave_out_earlier_ones_and_other_sandboxes()
    {
        // T0 is 23:50 UTC: the entries fall on three days.
        await Log.RecordAsync(Entry("before", "a1", "sbx-1", T0.AddMinutes(-5)), CancellationToken.None);
        await Log.RecordAsync(Entry("day1", "a1", "sbx-1", T0.AddMinutes(5)), CancellationToken.None);
        await Log.RecordAsync(Entry("day2", "a2", "sbx-1", T0.AddHours(2)), CancellationToken.None);
        await Log.RecordAsync(Entry("day3", "a3", "sbx-1", T0.AddDays(1).AddHours(2)), CancellationToken.None);
        await Log.RecordAsync(Entry("neighbour", "a4", "sbx-10", T0.AddHours(1)), CancellationToken.None);
        await Log.RecordAsync(Entry("prefix", "a5", "sbx", T0.AddHours(1)), CancellationToken.None);

        var since = await Log.ListBySandboxAsync("sbx-1", T0, 10, CancellationToken.None);
        var first = await Log.ListBySandboxAsync("sbx-1", T0, 2, CancellationToken.None);

        Assert.Equal(["day1", "day2", "day3"], since.Select(e => e.EntryId));
        Assert.Equal(["day1", "day2"], first.Select(e => e.EntryId));
        Assert.Equal(["prefix"], (await Log.ListBySandboxAsync("sbx", T0.AddDays(-3), 10, CancellationToken.None)).Select(e => e.EntryId));
    }

    [Fact]
    public async Task The_same_entry_id_recorded_again_keeps_the_first_entry_once()
    {
        await Log.RecordAsync(Entry("same", "a1", "sbx-1", T0, "sent"), CancellationToken.None);
        await Log.RecordAsync(Entry("same", "a1", "sbx-1", T0.AddMinutes(7), "failed"), CancellationToken.None);

        var byAlert = Assert.Single(await Log.ListByAlertAsync("a1", 10, CancellationToken.None));
        var bySandbox = Assert.Single(await Log.ListBySandboxAsync("sbx-1", T0.AddDays(-1), 10, CancellationToken.None));
        Assert.Equal(("sent", T0), (byAlert.Outcome, byAlert.At));
        Assert.Equal(byAlert, bySandbox);
    }

    [Fact]
    public async Task Ids_and_text_an_attacker_chose_are_kept_as_given_and_do_not_mix_with_other_ids()
    {
        const string Hostile = "sbx/../#?~%00\u0001\t<b>x</b>";
        var entry = Entry("weird/#?\\", "alert~1/x", Hostile, T0) with { Detail = "line1\r\nline2 <script>" + new string('z', 300), Actor = "controller:host-7" };
        await Log.RecordAsync(entry, CancellationToken.None);
        await Log.RecordAsync(Entry("plain", "alert~1", "sbx", T0), CancellationToken.None);

        Assert.Equal(entry, Assert.Single(await Log.ListByAlertAsync("alert~1/x", 10, CancellationToken.None)));
        Assert.Equal(entry, Assert.Single(await Log.ListBySandboxAsync(Hostile, T0, 10, CancellationToken.None)));
        Assert.Equal(["plain"], (await Log.ListByAlertAsync("alert~1", 10, CancellationToken.None)).Select(e => e.EntryId));
    }

    [Fact]
    public async Task The_fleet_timeline_between_two_times_spans_hours_and_sandboxes_oldest_first()
    {
        await Log.RecordAsync(Entry("before", "a1", "sbx-1", T0.AddMinutes(-1)), CancellationToken.None);
        await Log.RecordAsync(Entry("t3", "a3", "sbx-3", T0.AddMinutes(70)), CancellationToken.None);
        await Log.RecordAsync(Entry("t1", "a1", "sbx-1", T0), CancellationToken.None);
        await Log.RecordAsync(Entry("t2", "a2", "sbx-2", T0.AddMinutes(15), "suppressed"), CancellationToken.None);
        await Log.RecordAsync(Entry("at-end", "a4", "sbx-4", T0.AddMinutes(80)), CancellationToken.None);

        var timeline = Assert.IsAssignableFrom<IAuditTimeline>(Log);
        var between = await timeline.ListBetweenAsync(T0, T0.AddMinutes(80), 10, CancellationToken.None);

        Assert.Equal(["t1", "t2", "t3"], between.Select(e => e.EntryId));
        Assert.Equal(["t1"], (await timeline.ListBetweenAsync(T0, T0.AddMinutes(80), 1, CancellationToken.None)).Select(e => e.EntryId));
    }

    [Fact]
    public async Task Nothing_for_an_unknown_alert_or_sandbox_or_max_zero()
    {
        await Log.RecordAsync(Entry("e1", "a1", "sbx-1", T0), CancellationToken.None);

        Assert.Empty(await Log.ListByAlertAsync("nope", 10, CancellationToken.None));
        Assert.Empty(await Log.ListBySandboxAsync("nope", T0.AddDays(-1), 10, CancellationToken.None));
        Assert.Empty(await Log.ListByAlertAsync("a1", 0, CancellationToken.None));
    }
}

/// <summary>The contract against <see cref="InMemoryAuditLog"/>.</summary>
public sealed class InMemoryAuditLogTests : AuditLogContract
{
    protected override IAuditLog Log { get; } = new InMemoryAuditLog();
}

/// <summary>The contract against <see cref="TableAuditLog"/> on Azurite.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class TableAuditLogTests(AzuriteFixture azurite) : AuditLogContract
{
    private TableAuditLog? _log;

    protected override IAuditLog Log => _log ??= new TableAuditLog(azurite.TableService, AzuriteFixture.UniqueTableName("audit"));

    [Fact]
    public void Escaped_ids_never_hold_key_characters_and_stay_distinct()
    {
        var ids = new[] { "a/b", "a%2Fb", "a~b", "a%7Eb", "", new string('x', 400), new string('x', 399) + "y" };
        var escaped = ids.Select(TableAuditLog.EscapeId).ToList();

        Assert.Equal(ids.Length, escaped.Distinct(StringComparer.Ordinal).Count());
        Assert.All(escaped, e => Assert.DoesNotContain(e, c => c is '/' or '\\' or '#' or '?' or '~' || char.IsControl(c)));
        Assert.All(escaped, e => Assert.InRange(e.Length, 1, 180));
    }
}
