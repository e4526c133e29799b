using System.Text;
using AlertPipeline.Shipper.Send;
using AlertPipeline.Shipper.Spool;

namespace AlertPipeline.Shipper.Tests.Spool;

public sealed class DiskSpoolTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static OutgoingEvent Event(int i) => new($"sbx-{i % 3}", Encoding.UTF8.GetBytes($"{{\"n\":{i}}}"), "f.jsonl", i * 10L);

    [Fact]
    public void Segments_are_read_back_oldest_first_and_survive_a_reopen()
    {
        using (var spool = new DiskSpool(_dir.Path, 1024 * 1024, segmentBytes: 200))
        {
            Assert.Equal(30, spool.Append([.. Enumerable.Range(0, 30).Select(Event)]));
        }

        using var reopened = new DiskSpool(_dir.Path, 1024 * 1024, segmentBytes: 200);
        var read = new List<OutgoingEvent>();
        while (!reopened.IsEmpty)
        {
            read.AddRange(reopened.ReadHead());
            reopened.RemoveHead();
        }

        Assert.Equal(Enumerable.Range(0, 30).Select(i => $"{{\"n\":{i}}}"), read.Select(e => Encoding.UTF8.GetString(e.Body.Span)));
        Assert.Equal(Enumerable.Range(0, 30).Select(i => $"sbx-{i % 3}"), read.Select(e => e.PartitionKey));
        Assert.Equal(270, read[^3].Offset);
        Assert.Equal(0, reopened.Bytes);
    }

    [Fact]
    public void A_torn_last_record_ends_the_segment_without_losing_the_records_before_it()
    {
        using (var spool = new DiskSpool(_dir.Path, 1024 * 1024))
        {
            spool.Append([.. Enumerable.Range(0, 3).Select(Event)]);
        }

        var segment = Directory.GetFiles(_dir.Path, "*.spool").Single();
        using (var stream = new FileStream(segment, FileMode.Open))
        {
            stream.SetLength(stream.Length - 3);
        }

        using var reopened = new DiskSpool(_dir.Path, 1024 * 1024);
        Assert.Equal(2, reopened.ReadHead().Count);
    }

    [Fact]
    public void Past_the_cap_nothing_more_is_accepted()
    {
        using var spool = new DiskSpool(_dir.Path, 1024);
        var accepted = spool.Append([.. Enumerable.Range(0, 100).Select(Event)]);

        Assert.InRange(accepted, 1, 99);
        Assert.True(spool.Bytes <= 1024);
        Assert.Equal(0, spool.Append([Event(1)]));
    }
}
