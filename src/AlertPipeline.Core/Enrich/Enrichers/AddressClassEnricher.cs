using AlertPipeline.Core.Events;

namespace AlertPipeline.Core.Enrich.Enrichers;

/// <summary>
/// Classifies <c>source.ip</c> and <c>destination.ip</c> into <c>*.address_class</c>: <c>metadata</c> (cloud instance
/// metadata endpoints), <c>loopback</c>, <c>link_local</c>, <c>private</c>, <c>shared</c> (CGNAT), <c>multicast</c>, <c>public</c>.
/// Rules match these classes instead of repeating CIDR lists.
/// </summary>
public sealed class AddressClassEnricher : IEnricher
{
    // AWS's IPv6 metadata endpoint fd00:ec2::254.
    private static readonly UInt128 AwsMetadataIPv6 = new(0xFD00_0EC2_0000_0000, 0x0000_0000_0000_0254);

    /// <inheritdoc />
    public void Enrich(EventBatch batch, int index)
    {
        Classify(batch, index, EcsField.SourceIp, EcsField.SourceAddressClass);
        Classify(batch, index, EcsField.DestinationIp, EcsField.DestinationAddressClass);
    }

    /// <summary>The class of <paramref name="ip"/>, or null when it is not an IP address.</summary>
    public static string? ClassOf(ReadOnlySpan<char> ip)
    {
        if (TryParseIPv4(ip, out var v4))
        {
            return ClassOfIPv4(v4);
        }

        if (ip.IndexOf(':') < 0 || !IpPrefix.TryParseAddress(ip, out var address, out _))
        {
            return null;
        }

        // IPv6, parsed into 128 bits without allocating; an IPv4-mapped address is classed as its IPv4 address.
        if (address >> 32 == 0xFFFF)
        {
            return ClassOfIPv4((uint)(address & uint.MaxValue));
        }

        var top = (ulong)(address >> 64);
        return address == UInt128.One ? "loopback"
            : address == AwsMetadataIPv6 ? "metadata"
            : (top >> 54) == 0x3FA ? "link_local"       // fe80::/10
            : (top >> 57) == 0x7E ? "private"           // fc00::/7 unique local
            : (top >> 56) == 0xFF ? "multicast"         // ff00::/8
            : "public";
    }

    /// <summary>Parses dotted-quad IPv4 without allocating.</summary>
    public static bool TryParseIPv4(ReadOnlySpan<char> text, out uint address)
    {
        address = 0;
        var octets = 0;
        var value = -1;
        foreach (var c in text)
        {
            if (c is >= '0' and <= '9')
            {
                value = value < 0 ? c - '0' : (value * 10) + (c - '0');
                if (value > 255)
                {
                    return false;
                }
            }
            else if (c == '.' && value >= 0 && octets < 3)
            {
                address = (address << 8) | (uint)value;
                octets++;
                value = -1;
            }
            else
            {
                return false;
            }
        }

        if (value < 0 || octets != 3)
        {
            return false;
        }

        address = (address << 8) | (uint)value;
        return true;
    }

    private static string ClassOfIPv4(uint a)
    {
        return a switch
        {
            0xA9FEA9FE => "metadata",            // 169.254.169.254: Azure, AWS, GCP, OCI
            0x646464C8 => "metadata",            // 100.100.100.200: Alibaba Cloud
            0xA83F8110 => "metadata",             // 168.63.129.16: Azure wire server
            _ when (a >> 24) == 127 => "loopback",
            _ when (a >> 16) == 0xA9FE => "link_local",
            _ when (a >> 24) == 10 || (a >> 20) == 0xAC1 || (a >> 16) == 0xC0A8 => "private",
            _ when (a >> 22) == (0x64400000 >> 22) => "shared",
            _ when (a >> 28) == 0xE => "multicast",
            _ => "public",
        };
    }

    private static void Classify(EventBatch batch, int index, EcsField ip, EcsField target)
    {
        if (!batch.Has(index, ip))
        {
            return;
        }

        var cls = ClassOf(batch.Get(index, ip));
        if (cls is not null)
        {
            batch.Set(index, target, cls);
        }
    }
}
