-- CreateTable
CREATE TABLE "PickupSettings" (
    "shop" TEXT NOT NULL,
    "locationId" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT false,
    "hours" JSONB NOT NULL DEFAULT '[]',
    "slotMinutes" INTEGER NOT NULL DEFAULT 10,
    "capacityOrders" INTEGER DEFAULT 5,
    "capacityItems" INTEGER,
    "leadMinutes" INTEGER NOT NULL DEFAULT 10,
    "cutoffMinutes" INTEGER NOT NULL DEFAULT 15,
    "holdMinutes" INTEGER NOT NULL DEFAULT 10,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "PickupSettings_pkey" PRIMARY KEY ("shop","locationId")
);

-- CreateTable
CREATE TABLE "PickupMenuItem" (
    "shop" TEXT NOT NULL,
    "variantId" TEXT NOT NULL,
    "productId" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "price" DECIMAL(18,4) NOT NULL,
    "isDrink" BOOLEAN NOT NULL DEFAULT true,
    "available" BOOLEAN NOT NULL DEFAULT true,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "PickupMenuItem_pkey" PRIMARY KEY ("shop","variantId")
);

-- CreateTable
CREATE TABLE "PickupSlot" (
    "shop" TEXT NOT NULL,
    "locationId" TEXT NOT NULL,
    "slotStart" TIMESTAMP(3) NOT NULL,
    "orders" INTEGER NOT NULL DEFAULT 0,
    "items" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "PickupSlot_pkey" PRIMARY KEY ("shop","locationId","slotStart")
);

-- CreateTable
CREATE TABLE "PickupHold" (
    "shop" TEXT NOT NULL,
    "id" TEXT NOT NULL,
    "locationId" TEXT NOT NULL,
    "slotStart" TIMESTAMP(3) NOT NULL,
    "customerId" TEXT,
    "items" JSONB NOT NULL,
    "itemCount" INTEGER NOT NULL,
    "drinkCount" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "cartId" TEXT,
    "checkoutUrl" TEXT,
    "orderId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "PickupHold_pkey" PRIMARY KEY ("shop","id")
);

-- CreateTable
CREATE TABLE "PickupOrder" (
    "shop" TEXT NOT NULL,
    "orderId" TEXT NOT NULL,
    "locationId" TEXT NOT NULL,
    "slotStart" TIMESTAMP(3) NOT NULL,
    "holdId" TEXT,
    "customerId" TEXT,
    "items" JSONB NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'new',
    "flag" TEXT,
    "preparingAt" TIMESTAMP(3),
    "readyAt" TIMESTAMP(3),
    "pickedUpAt" TIMESTAMP(3),
    "noShowAt" TIMESTAMP(3),
    "readyDeliveryId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "PickupOrder_pkey" PRIMARY KEY ("shop","orderId")
);

-- CreateIndex
CREATE INDEX "PickupHold_shop_locationId_slotStart_idx" ON "PickupHold"("shop", "locationId", "slotStart");

-- CreateIndex
CREATE INDEX "PickupHold_shop_status_expiresAt_idx" ON "PickupHold"("shop", "status", "expiresAt");

-- CreateIndex
CREATE INDEX "PickupOrder_shop_locationId_slotStart_idx" ON "PickupOrder"("shop", "locationId", "slotStart");

-- CreateIndex
CREATE INDEX "PickupOrder_shop_state_slotStart_idx" ON "PickupOrder"("shop", "state", "slotStart");
