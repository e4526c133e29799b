// Event Hubs namespace with the two hubs the triggers read and the pipeline's own consumer group on each.
// SAS (local) auth is disabled: senders and the Function App authenticate with Entra ID.

@description('Azure region.')
param location string

@description('Namespace name (globally unique).')
param namespaceName string

@description('Hub carrying sandbox telemetry.')
param sandboxTelemetryHubName string

@description('Hub that Azure Firewall diagnostic settings stream to.')
param firewallLogsHubName string

@description('Consumer group the pipeline reads with (not $Default).')
param consumerGroupName string

@description('Partitions per hub; fixed after creation on Standard, so size for the peak (see docs/operations.md).')
@minValue(1)
@maxValue(32)
param partitionCount int

@description('Throughput units (1 TU = 1 MB/s or 1,000 events/s in).')
@minValue(1)
@maxValue(40)
param throughputUnits int

@description('Let Event Hubs raise throughput units up to maximumThroughputUnits under load.')
param autoInflate bool

@description('Ceiling for auto-inflate (ignored when autoInflate is false).')
@minValue(0)
@maxValue(40)
param maximumThroughputUnits int

@description('Days a hub keeps events (Standard: 1-7); the replay window after an outage.')
@minValue(1)
@maxValue(7)
param retentionDays int

@description('Public network access: Disabled when private endpoints are used.')
@allowed([
  'Enabled'
  'Disabled'
])
param publicNetworkAccess string

param tags object

resource namespace 'Microsoft.EventHub/namespaces@2024-01-01' = {
  name: namespaceName
  location: location
  tags: tags
  sku: {
    name: 'Standard'
    tier: 'Standard'
    capacity: throughputUnits
  }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: publicNetworkAccess
    isAutoInflateEnabled: autoInflate
    maximumThroughputUnits: autoInflate ? maximumThroughputUnits : 0
  }
}

var hubNames = [
  sandboxTelemetryHubName
  firewallLogsHubName
]

resource hubs 'Microsoft.EventHub/namespaces/eventhubs@2024-01-01' = [
  for hub in hubNames: {
    parent: namespace
    name: hub
    properties: {
      partitionCount: partitionCount
      messageRetentionInDays: retentionDays
    }
  }
]

resource consumerGroups 'Microsoft.EventHub/namespaces/eventhubs/consumergroups@2024-01-01' = [
  for (hub, i) in hubNames: {
    parent: hubs[i]
    name: consumerGroupName
  }
]

output namespaceName string = namespace.name
output namespaceId string = namespace.id
// The endpoint is https://<name>.servicebus.windows.net:443/ (or the sovereign cloud's suffix); the trigger wants the host.
output fullyQualifiedNamespace string = split(split(namespace.properties.serviceBusEndpoint, '//')[1], ':')[0]
output hubNames array = hubNames
