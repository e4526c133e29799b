// Optional private networking: a VNet with a subnet for the Function App's VNet integration and one for private
// endpoints of Storage (blob, queue, table), Event Hubs and Key Vault, with their private DNS zones.

@description('Azure region.')
param location string

@description('Prefix of every resource name.')
param namePrefix string

@description('Address space of the VNet, e.g. 10.60.0.0/24.')
param addressPrefix string

@description('Subnet for VNet integration (delegated to Microsoft.App/environments, as Flex Consumption requires).')
param integrationSubnetPrefix string

@description('Subnet for private endpoints.')
param privateEndpointSubnetPrefix string

param storageAccountId string
param eventHubsNamespaceId string
param vaultId string
param tags object

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: '${namePrefix}-vnet'
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        addressPrefix
      ]
    }
    subnets: [
      {
        name: 'functions'
        properties: {
          addressPrefix: integrationSubnetPrefix
          delegations: [
            {
              name: 'flex'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
        }
      }
      {
        name: 'private-endpoints'
        properties: {
          addressPrefix: privateEndpointSubnetPrefix
        }
      }
    ]
  }
}

// One entry per private endpoint: the target, its sub-resource and the DNS zone clients resolve it in.
var endpoints = [
  {
    name: 'blob'
    target: storageAccountId
    group: 'blob'
    zone: 'privatelink.blob.${environment().suffixes.storage}'
  }
  {
    name: 'queue'
    target: storageAccountId
    group: 'queue'
    zone: 'privatelink.queue.${environment().suffixes.storage}'
  }
  {
    name: 'table'
    target: storageAccountId
    group: 'table'
    zone: 'privatelink.table.${environment().suffixes.storage}'
  }
  {
    name: 'eventhubs'
    target: eventHubsNamespaceId
    group: 'namespace'
    zone: 'privatelink.servicebus.windows.net'
  }
  {
    name: 'vault'
    target: vaultId
    group: 'vault'
    zone: 'privatelink.vaultcore.azure.net'
  }
]

resource zones 'Microsoft.Network/privateDnsZones@2024-06-01' = [
  for endpoint in endpoints: {
    name: endpoint.zone
    location: 'global'
    tags: tags
  }
]

resource zoneLinks 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = [
  for (endpoint, i) in endpoints: {
    parent: zones[i]
    name: '${namePrefix}-link'
    location: 'global'
    properties: {
      registrationEnabled: false
      virtualNetwork: {
        id: vnet.id
      }
    }
  }
]

resource privateEndpoints 'Microsoft.Network/privateEndpoints@2024-05-01' = [
  for endpoint in endpoints: {
    name: '${namePrefix}-pe-${endpoint.name}'
    location: location
    tags: tags
    properties: {
      subnet: {
        id: vnet.properties.subnets[1].id
      }
      privateLinkServiceConnections: [
        {
          name: endpoint.name
          properties: {
            privateLinkServiceId: endpoint.target
            groupIds: [
              endpoint.group
            ]
          }
        }
      ]
    }
  }
]

resource zoneGroups 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = [
  for (endpoint, i) in endpoints: {
    parent: privateEndpoints[i]
    name: 'default'
    properties: {
      privateDnsZoneConfigs: [
        {
          name: endpoint.name
          properties: {
            privateDnsZoneId: zones[i].id
          }
        }
      ]
    }
  }
]

output integrationSubnetId string = vnet.properties.subnets[0].id
