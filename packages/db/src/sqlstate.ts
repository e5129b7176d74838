/**
 * The Postgres SQLSTATEs callpipe reacts to, named as in Postgres's errcodes table
 * (https://www.postgresql.org/docs/current/errcodes-appendix.html), so a code in a condition says
 * what it means.
 */
export const PG_ERROR = {
  connectionException: '08000',
  sqlclientUnableToEstablishSqlconnection: '08001',
  connectionDoesNotExist: '08003',
  sqlserverRejectedEstablishmentOfSqlconnection: '08004',
  connectionFailure: '08006',
  transactionResolutionUnknown: '08007',
  readOnlySqlTransaction: '25006',
  serializationFailure: '40001',
  deadlockDetected: '40P01',
  undefinedColumn: '42703',
  undefinedTable: '42P01',
  duplicateDatabase: '42P04',
  duplicateObject: '42710',
  invalidColumnReference: '42P10',
  diskFull: '53100',
  outOfMemory: '53200',
  tooManyConnections: '53300',
  configurationLimitExceeded: '53400',
  lockNotAvailable: '55P03',
  queryCanceled: '57014',
  adminShutdown: '57P01',
  crashShutdown: '57P02',
  cannotConnectNow: '57P03',
  ioError: '58030',
} as const;
