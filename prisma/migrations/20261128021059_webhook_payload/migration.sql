-- AlterTable
ALTER TABLE "WebhookDelivery" ADD COLUMN     "payload" JSONB;

-- CreateIndex
CREATE INDEX "WebhookDelivery_shop_status_receivedAt_idx" ON "WebhookDelivery"("shop", "status", "receivedAt");
