-- AlterTable
ALTER TABLE "ShopSettings" ADD COLUMN     "programHoldoutPercent" INTEGER NOT NULL DEFAULT 5,
ADD COLUMN     "pushCapCount" INTEGER NOT NULL DEFAULT 1,
ADD COLUMN     "pushCapDays" INTEGER NOT NULL DEFAULT 3,
ADD COLUMN     "quietEndMinute" INTEGER NOT NULL DEFAULT 420,
ADD COLUMN     "quietStartMinute" INTEGER NOT NULL DEFAULT 1260;

-- CreateTable
CREATE TABLE "Campaign" (
    "shop" TEXT NOT NULL,
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "segmentId" TEXT,
    "variants" JSONB NOT NULL,
    "offer" JSONB NOT NULL DEFAULT '{}',
    "holdoutPercent" INTEGER NOT NULL DEFAULT 10,
    "attributionHours" INTEGER NOT NULL DEFAULT 72,
    "leadMinutes" INTEGER NOT NULL DEFAULT 45,
    "startsAt" TIMESTAMP(3),
    "endsAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Campaign_pkey" PRIMARY KEY ("shop","id")
);

-- CreateTable
CREATE TABLE "CampaignRecipient" (
    "shop" TEXT NOT NULL,
    "campaignId" TEXT NOT NULL,
    "customerId" TEXT NOT NULL,
    "arm" TEXT NOT NULL,
    "variantId" TEXT,
    "status" TEXT NOT NULL,
    "skipReason" TEXT,
    "scheduledFor" TIMESTAMP(3),
    "deliveryId" TEXT,
    "discountCode" TEXT,
    "decidedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "convertedAt" TIMESTAMP(3),
    "conversionOrderId" TEXT,
    "revenue" DECIMAL(18,4),

    CONSTRAINT "CampaignRecipient_pkey" PRIMARY KEY ("shop","campaignId","customerId")
);

-- CreateIndex
CREATE INDEX "Campaign_shop_status_idx" ON "Campaign"("shop", "status");

-- CreateIndex
CREATE INDEX "CampaignRecipient_shop_customerId_scheduledFor_idx" ON "CampaignRecipient"("shop", "customerId", "scheduledFor");

-- AddForeignKey
ALTER TABLE "CampaignRecipient" ADD CONSTRAINT "CampaignRecipient_shop_campaignId_fkey" FOREIGN KEY ("shop", "campaignId") REFERENCES "Campaign"("shop", "id") ON DELETE CASCADE ON UPDATE CASCADE;
