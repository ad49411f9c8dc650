-- AlterTable
ALTER TABLE "ImportRun" ADD COLUMN     "bytes" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN     "bytesDone" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN     "customersNew" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "errorCount" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "failure" TEXT,
ADD COLUMN     "ordersUnchanged" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "ordersUpdated" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "origin" TEXT NOT NULL DEFAULT 'cli';

-- CreateTable
CREATE TABLE "ImportUpload" (
    "shop" TEXT NOT NULL,
    "runId" TEXT NOT NULL,
    "content" BYTEA NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ImportUpload_pkey" PRIMARY KEY ("shop","runId")
);

-- CreateTable
CREATE TABLE "ImportStagedOrder" (
    "shop" TEXT NOT NULL,
    "runId" TEXT NOT NULL,
    "line" INTEGER NOT NULL,
    "orderId" TEXT NOT NULL,
    "customerId" TEXT,
    "email" TEXT,
    "locationId" TEXT,
    "channel" TEXT NOT NULL,
    "currency" TEXT NOT NULL,
    "totalPrice" DECIMAL(18,4) NOT NULL,
    "processedAt" TIMESTAMP(3) NOT NULL,
    "items" JSONB NOT NULL DEFAULT '[]',

    CONSTRAINT "ImportStagedOrder_pkey" PRIMARY KEY ("shop","runId","line")
);

-- CreateIndex
CREATE INDEX "ImportRun_shop_startedAt_idx" ON "ImportRun"("shop", "startedAt");

-- AddForeignKey
ALTER TABLE "ImportUpload" ADD CONSTRAINT "ImportUpload_shop_runId_fkey" FOREIGN KEY ("shop", "runId") REFERENCES "ImportRun"("shop", "id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ImportStagedOrder" ADD CONSTRAINT "ImportStagedOrder_shop_runId_fkey" FOREIGN KEY ("shop", "runId") REFERENCES "ImportRun"("shop", "id") ON DELETE CASCADE ON UPDATE CASCADE;
