using AlertPipeline.Core.Enrich.Enrichers;
using AlertPipeline.Core.Events;

namespace AlertPipeline.Core.Tests.Enrich.Enrichers;

public sealed class AddressClassEnricherTests
{
    [Theory]
    [InlineData("169.254.169.254", "metadata")]
    [InlineData("100.100.100.200", "metadata")]
    [InlineData("168.63.129.16", "metadata")]
    [InlineData("fd00:ec2::254", "metadata")]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("::1", "loopback")]
    [InlineData("169.254.10.1", "link_local")]
    [InlineData("fe80::1", "link_local")]
    [InlineData("10.40.77.31", "private")]
    [InlineData("172.16.0.1", "private")]
    [InlineData("172.31.255.255", "private")]
    [InlineData("192.168.1.1", "private")]
    [InlineData("fd12:3456::1", "private")]
    [InlineData("100.64.0.1", "shared")]
    [InlineData("100.127.255.254", "shared")]
    [InlineData("224.0.0.251", "multicast")]
    [InlineData("172.32.0.1", "public")]
    [InlineData("100.128.0.1", "public")]
    [InlineData("203.0.113.66", "public")]
    [InlineData("2001:db8::1", "public")]
    [InlineData("::ffff:10.0.0.1", "private")]
    public void Classifies_addresses(string ip, string expected)
    {
        Assert.Equal(expected, AddressClassEnricher.ClassOf(ip));
    }

    [Theory]
    [InlineData("")]
    [InlineData("pool.supportxmr.com")]
    [InlineData("256.1.1.1")]
    [InlineData("1.2.3")]
    [InlineData("1.2.3.4.5")]
    [InlineData("1..2.3")]
    public void Non_addresses_get_no_class(string text)
    {
        Assert.Null(AddressClassEnricher.ClassOf(text));
    }

    [Fact]
    public void Writes_both_directions_into_the_event()
    {
        var batch = new EventBatch();
        batch.BeginEvent(new SourcePosition("s", 0, 0), "ecs");
        batch.Set(EcsField.SourceIp, "10.40.77.31");
        batch.Set(EcsField.DestinationIp, "169.254.169.254");
        batch.SetTimestamp(DateTimeOffset.UnixEpoch.AddYears(55));
        batch.CommitEvent();

        new AddressClassEnricher().Enrich(batch, 0);

        Assert.Equal("private", batch.Get(0, EcsField.SourceAddressClass).ToString());
        Assert.Equal("metadata", batch.Get(0, EcsField.DestinationAddressClass).ToString());
    }
}
